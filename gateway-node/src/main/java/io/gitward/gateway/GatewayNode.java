package io.gitward.gateway;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.phase.OutboundToken;
import io.gitward.security.phase.PhaseFlags;
import io.gitward.security.runtime.OutboundChannels;
import io.gitward.security.runtime.PeerEndpoint;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.security.server.ListenAddress;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeSettings;
import io.gitward.security.server.NodeStartException;
import io.gitward.security.tls.JdkTlsContexts;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code gitward node gateway}: Git's smart HTTP for the real {@code git} CLI. An {@code edge}: it terminates the
 * end user's mutual TLS, forwards the user's certificate to the proxy in the forwarded-identity header, and dials
 * the proxy with its own edge certificate, which by design grants nothing by itself. It never sends a token.
 * Its gRPC listeners serve only node info and security status (ADMIN_READ).
 */
public final class GatewayNode implements NodeApplication {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayNode.class);

    private final GatewayMetrics metrics = new GatewayMetrics();
    private GatewaySettings settings;
    private ManagedChannel proxy;
    private GitHttpsListener listener;

    @Override
    public void configure(GitwardConfig config, NodeSettings node) {
        settings = GatewaySettings.read(config, node);
    }

    @Override
    public List<BindableService> services(SecurityRuntime security) {
        return List.of();
    }

    @Override
    public Map<String, String> openOwnListeners(SecurityRuntime security) throws NodeStartException {
        // Its own dialer: whatever the phase, the gateway dials over TLS, presents its edge certificate (the proxy
        // honours a forwarded identity only from a verified edge) and never sends a token.
        OutboundChannels dialer = new OutboundChannels(security.credentials(), security.settings().provider(),
                () -> asEdge(security.flags().flags()), () -> null, security.dialedConnections(), security.workerGroup());
        if (security.flags().phase() < 2) {
            LOG.warn("phase {}: proxies verify client certificates only from phase 2; until then they cannot see that"
                    + " this gateway is an edge, and Git requests through it are refused", security.flags().phase());
        }
        try {
            proxy = dialer.dial(new PeerEndpoint(settings.proxyIdentity(), settings.proxyAddress(), null));
        } catch (SSLException e) {
            throw new NodeStartException("gateway.proxy: cannot build the TLS context for " + settings.proxyIdentity()
                    + ": " + e.getMessage(), e);
        }
        ProxyExchange exchange = new ProxyExchange(proxy, security.settings().forwardedHeader(), settings.virtualStorage(),
                settings.requestTimeout());
        try {
            listener = GitHttpsListener.open(settings.listen(), JdkTlsContexts.server(security.credentials()),
                    settings.clientCertificates() == GatewaySettings.ClientCertificates.REQUIRED,
                    settings.maxConcurrentRequests(), new SmartHttpHandler(security.credentials(), exchange, metrics));
        } catch (GeneralSecurityException e) {
            throw new NodeStartException("gateway.listen: cannot set up TLS: " + e.getMessage(), e);
        }
        String bound = ListenAddress.format(listener.address());
        LOG.info("Git HTTPS on {} (client certificates {}), forwarding to {} at {}", bound,
                settings.clientCertificates().name().toLowerCase(java.util.Locale.ROOT), settings.proxyIdentity(),
                settings.proxyAddress().host() + ":" + settings.proxyAddress().port());
        return Map.of("git-https", bound);
    }

    private static PhaseFlags asEdge(PhaseFlags flags) {
        return new PhaseFlags(flags.plaintextListener(), flags.clientAuth(), flags.authorization(), flags.tokens(), true,
                true, OutboundToken.NEVER, flags.staleCrlFailsClosed(), false);
    }

    @Override
    public String prometheusText() {
        return metrics.prometheusText();
    }

    @Override
    public void close() {
        if (listener != null) {
            listener.close();
        }
        if (proxy != null) {
            proxy.shutdown();
            try {
                proxy.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
