package io.gitward.security.tls;

import static java.util.Objects.requireNonNull;

import io.gitward.security.audit.RateLimitedLog;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.x509.CertificateRejectedException;
import io.gitward.security.x509.Purpose;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides TLS peers with {@link NodeCredentials#validate} under whatever trust is current, so a CRL or
 * bundle reload applies to the very next handshake without rebuilding any TLS context. As a client it also
 * pins the identity it meant to reach; no hostname is ever checked (node identity is not a DNS name).
 */
final class PeerTrustManager extends X509ExtendedTrustManager {
    private static final Logger LOG = LoggerFactory.getLogger(PeerTrustManager.class);
    /** A flood of bad handshakes must not flood the log: one line per (reason, certificate) per minute. */
    private static final RateLimitedLog REFUSALS = new RateLimitedLog(Duration.ofMinutes(1), 10_000, Clock.systemUTC());

    private final NodeCredentials credentials;
    private final NodeIdentity pinnedServer;

    /**
     * @param pinnedServer the identity an outbound connection must reach; null for the server side
     */
    PeerTrustManager(NodeCredentials credentials, NodeIdentity pinnedServer) {
        this.credentials = requireNonNull(credentials, "credentials");
        this.pinnedServer = pinnedServer;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        checkClient(chain, engine == null ? null : engine.getPeerHost());
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkClient(chain, socket == null ? null : String.valueOf(socket.getRemoteSocketAddress()));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkClient(chain, null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        // Engines made without a peer address (no session resumption, e.g. the access-check client) have none to log.
        checkServer(chain, engine == null || engine.getPeerHost() == null ? null : engine.getPeerHost() + ":"
                + engine.getPeerPort());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        checkServer(chain, socket == null ? null : String.valueOf(socket.getRemoteSocketAddress()));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        checkServer(chain, null);
    }

    private void checkClient(X509Certificate[] chain, String peer) throws CertificateRejectedException {
        try {
            credentials.validate(Arrays.asList(chain), Purpose.TLS_CLIENT, true);
        } catch (CertificateRejectedException e) {
            if (REFUSALS.shouldLog(e.reason() + "|" + chain[0].getSerialNumber())) {
                LOG.warn("refused client certificate from {}: {}", peer == null ? "a peer" : peer, e.getMessage());
            }
            throw e;
        }
    }

    private void checkServer(X509Certificate[] chain, String peer) throws CertificateRejectedException {
        try {
            credentials.validateServer(Arrays.asList(chain), pinnedServer);
        } catch (CertificateRejectedException e) {
            if (REFUSALS.shouldLog("server|" + e.reason() + "|" + chain[0].getSerialNumber())) {
                LOG.warn("refused server {}{}: {}", peer == null ? "" : peer + " ", pinnedServer == null ? ""
                        : "(expected " + pinnedServer + ")", e.getMessage());
            }
            throw e;
        }
    }

    /**
     * No CA names in the certificate request: clients then send the certificate they hold and this node
     * judges it (with a reason it can count), instead of clients silently sending nothing.
     */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
