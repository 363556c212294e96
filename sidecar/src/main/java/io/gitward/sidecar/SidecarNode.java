package io.gitward.sidecar;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.http.HttpAuthorizer;
import io.gitward.security.http.HttpListener;
import io.gitward.security.http.OperatorListeners;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.security.server.ListenAddress;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeSettings;
import io.gitward.security.server.NodeStartException;
import io.gitward.security.tls.KeyMaterial;
import io.gitward.security.tls.NodeCredentials;
import io.gitward.security.tls.TlsContexts;
import io.gitward.security.x509.CertificateRejectedException;
import io.gitward.security.x509.RejectReason;
import io.grpc.BindableService;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.BindException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code gitward sidecar}: mutual TLS for an app that speaks only plaintext HTTP/1.1, HTTP/2 or gRPC, in the style of
 * ghostunnel but at the HTTP layer so every request is authorized and the caller's identity reaches the app.
 *
 * <p>Inbound, it terminates callers' mTLS with the fronted service's certificate (the node runtime's reloadable
 * HTTPS context: rotation, client-auth by phase, revoked callers' connections cut), decides each request by its
 * route's scope with the node's access policy and audit, and relays admitted requests in plaintext to the app on
 * loopback with the verified identity in a header. Outbound, it takes plaintext from the app on a loopback listener
 * and originates mTLS to one pinned peer, presenting the same certificate; a rotated key makes later requests use new
 * connections (in-flight ones finish on the old), and a peer whose certificate is revoked is disconnected.
 */
public final class SidecarNode implements NodeApplication {
    private static final Logger LOG = LoggerFactory.getLogger(SidecarNode.class);
    public static final String INBOUND_LISTENER = "sidecar-inbound";
    public static final String OUTBOUND_LISTENER = "sidecar-outbound";

    private SidecarSettings settings;
    private final List<HttpListener> listeners = new ArrayList<>();
    private final List<Upstream> upstreams = new ArrayList<>();
    private final AtomicLong outboundRotations = new AtomicLong();

    @Override
    public void configure(GitwardConfig config, NodeSettings node) {
        settings = SidecarSettings.read(config, node);
    }

    @Override
    public List<BindableService> services(SecurityRuntime security) {
        return List.of();
    }

    @Override
    public Map<String, String> openOwnListeners(SecurityRuntime security) throws NodeStartException {
        Map<String, String> bound = new LinkedHashMap<>();
        if (settings.inbound() != null) {
            bound.put(INBOUND_LISTENER, openInbound(security, settings.inbound()));
        }
        if (settings.outbound() != null) {
            bound.put(OUTBOUND_LISTENER, openOutbound(security, settings.outbound()));
        }
        return bound;
    }

    private String openInbound(SecurityRuntime security, SidecarSettings.Inbound inbound) throws NodeStartException {
        Upstream app = settings.inbound().targetProtocol() == SidecarSettings.TargetProtocol.H2C
                ? Upstream.http2("the app", inbound.target().toSocketAddress(), null, security.workerGroup(),
                        settings.connectTimeout())
                : Upstream.http1("the app", inbound.target().toSocketAddress(), null, security.workerGroup(),
                        settings.connectTimeout());
        upstreams.add(app);
        InboundPolicy policy = new InboundPolicy(inbound.routes(), new HttpAuthorizer(security), inbound.identityHeader());
        HttpListener listener = bind("sidecar.inbound.listen", INBOUND_LISTENER, inbound.listen(), security, true,
                () -> new RelayHandler(policy, http2 -> app));
        String address = ListenAddress.format(listener.address());
        LOG.info("inbound: mTLS on {} as {} ({} routes, phase {}), plaintext {} to the app at {}", address,
                security.credentials().keyMaterial().identity(), inbound.routes().routes().size(),
                security.flags().phase(), inbound.targetProtocol().name().toLowerCase(java.util.Locale.ROOT),
                inbound.target().format());
        return address;
    }

    private String openOutbound(SecurityRuntime security, SidecarSettings.Outbound outbound) throws NodeStartException {
        NodeCredentials credentials = security.credentials();
        AtomicReference<SslContext> h2 = new AtomicReference<>();
        AtomicReference<SslContext> h1 = new AtomicReference<>();
        try {
            buildClientContexts(security, credentials.keyMaterial(), outbound, h2, h1);
        } catch (SSLException e) {
            throw new NodeStartException("sidecar.outbound.peer: cannot build the TLS context for "
                    + outbound.peerIdentity() + ": " + e.getMessage(), e);
        }
        String peer = "peer " + outbound.peerIdentity().spiffeId();
        Upstream http2 = Upstream.http2(peer, outbound.peerAddress().toSocketAddress(), h2::get, security.workerGroup(),
                settings.connectTimeout());
        Upstream http1 = Upstream.http1(peer, outbound.peerAddress().toSocketAddress(), h1::get, security.workerGroup(),
                settings.connectTimeout());
        upstreams.add(http2);
        upstreams.add(http1);
        credentials.onKeyMaterialChange(key -> {
            try {
                buildClientContexts(security, key, outbound, h2, h1);
            } catch (SSLException e) {
                LOG.error("cannot build the outbound TLS context for {}; the previous one stays in use: {}",
                        outbound.peerIdentity(), e.getMessage());
                return;
            }
            http2.retire();
            http1.retire();
            outboundRotations.incrementAndGet();
            LOG.info("outbound: new connections to {} present {}", outbound.peerIdentity(), key);
        });
        credentials.onTrustChange(trust -> {
            for (Upstream upstream : List.of(http2, http1)) {
                List<String> closed = upstream.closeWhere(chain -> stillValid(credentials, chain, outbound));
                if (!closed.isEmpty()) {
                    LOG.warn("outbound: closed {} connection(s) to {}: its certificate is revoked", closed.size(),
                            outbound.peerIdentity());
                }
            }
        });
        HttpListener listener = bind("sidecar.outbound.listen", OUTBOUND_LISTENER, outbound.listen(), security, false,
                () -> new RelayHandler(RequestPolicy.PASS, callerHttp2 -> callerHttp2 ? http2 : http1));
        String address = ListenAddress.format(listener.address());
        LOG.info("outbound: plaintext HTTP/1.1 and h2c on {}, mTLS as {} to {} at {}", address,
                credentials.keyMaterial().identity(), outbound.peerIdentity(), outbound.peerAddress().format());
        return address;
    }

    private static boolean stillValid(NodeCredentials credentials, List<java.security.cert.X509Certificate> chain,
            SidecarSettings.Outbound outbound) {
        try {
            credentials.validateServer(chain, outbound.peerIdentity());
            return true;
        } catch (CertificateRejectedException e) {
            return e.reason() != RejectReason.REVOKED;
        }
    }

    /** HTTP/2 (ALPN h2, what gRPC servers require) and HTTP/1.1 (no ALPN) contexts, both pinned to the peer. */
    private static void buildClientContexts(SecurityRuntime security, KeyMaterial key, SidecarSettings.Outbound outbound,
            AtomicReference<SslContext> h2, AtomicReference<SslContext> h1) throws SSLException {
        SslContext http2 = TlsContexts.client(security.credentials(), key, outbound.peerIdentity(),
                security.settings().provider());
        SslContext http1 = TlsContexts.httpClient(security.credentials(), key, outbound.peerIdentity(),
                security.settings().provider());
        h2.set(http2);
        h1.set(http1);
    }

    private HttpListener bind(String key, String name, ListenAddress address, SecurityRuntime security, boolean tls,
            java.util.function.Supplier<io.netty.channel.ChannelHandler> handlers) throws NodeStartException {
        try {
            HttpListener listener = OperatorListeners.openApplication(name, address.toSocketAddress(), security, tls,
                    handlers);
            listeners.add(listener);
            return listener;
        } catch (IOException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            String why = cause instanceof BindException ? "address already in use or not local (choose another port, or 0)"
                    : cause.getMessage();
            throw new NodeStartException(key + ": cannot bind " + address.format() + ": " + why, e);
        }
    }

    @Override
    public String prometheusText() {
        return "# HELP gitward_sidecar_outbound_rotations_total Key rotations that moved outbound connections to a new"
                + " certificate.\n# TYPE gitward_sidecar_outbound_rotations_total counter\n"
                + "gitward_sidecar_outbound_rotations_total " + outboundRotations.get() + "\n";
    }

    @Override
    public void closeOwnListeners(java.time.Duration grace) {
        listeners.forEach(listener -> listener.close(grace));
        listeners.clear();
        upstreams.forEach(Upstream::close);
    }

    @Override
    public void close() {
        closeOwnListeners(java.time.Duration.ofSeconds(1));
    }
}
