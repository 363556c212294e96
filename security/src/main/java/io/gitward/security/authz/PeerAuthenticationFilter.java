package io.gitward.security.authz;

import static java.util.Objects.requireNonNull;

import io.gitward.security.tls.NodeCredentials;
import io.gitward.security.x509.CertificateRejectedException;
import io.gitward.security.x509.Purpose;
import io.gitward.security.x509.ValidatedPeer;
import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.ServerTransportFilter;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs when a connection is ready (after its TLS handshake, resumed or not): validates the peer chain again
 * under the current trust and attaches the result to the transport, so no code path reaches a handler with
 * a peer that was not checked by this node's rules.
 */
public final class PeerAuthenticationFilter extends ServerTransportFilter {
    private static final Logger LOG = LoggerFactory.getLogger(PeerAuthenticationFilter.class);

    private final NodeCredentials credentials;
    private final ConnectionRegistry registry;

    public PeerAuthenticationFilter(NodeCredentials credentials, ConnectionRegistry registry) {
        this.credentials = requireNonNull(credentials, "credentials");
        this.registry = registry;
    }

    @Override
    public Attributes transportReady(Attributes attributes) {
        SSLSession session = attributes.get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        SocketAddress remote = attributes.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        String host = hostOf(remote);
        long generation = credentials.trust().generation();
        PeerAuthentication authentication;
        if (session == null) {
            authentication = new PeerAuthentication(Transport.PLAINTEXT, null, null, generation, null, host);
        } else {
            List<X509Certificate> chain = peerChain(session);
            if (chain == null) {
                authentication = new PeerAuthentication(Transport.TLS, null, null, generation, null, host);
            } else {
                try {
                    ValidatedPeer peer = credentials.validate(chain, Purpose.TLS_CLIENT, false);
                    authentication = new PeerAuthentication(Transport.MTLS, peer, chain, generation, null, host);
                } catch (CertificateRejectedException e) {
                    LOG.warn("closing connection from {}: {}", host, e.getMessage());
                    credentials.failures().record(e.reason());
                    if (registry != null && remote != null) {
                        registry.close(remote);
                    }
                    authentication = new PeerAuthentication(Transport.TLS, null, chain, generation, e.getMessage(), host);
                }
            }
        }
        return attributes.toBuilder().set(SecurityContext.PEER, authentication).build();
    }

    static List<X509Certificate> peerChain(SSLSession session) {
        try {
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate certificate : session.getPeerCertificates()) {
                chain.add((X509Certificate) certificate);
            }
            return chain.isEmpty() ? null : chain;
        } catch (SSLPeerUnverifiedException e) {
            return null;
        }
    }

    static String hostOf(SocketAddress address) {
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return "unknown";
    }
}
