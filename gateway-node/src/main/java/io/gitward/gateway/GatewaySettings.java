package io.gitward.gateway;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.identity.InvalidIdentityException;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.server.ListenAddress;
import io.gitward.security.server.NodeSettings;
import java.time.Duration;

/**
 * The gateway's own keys ({@code gateway.*}), read and validated at once; problems are recorded in the config.
 *
 * @param listen                the Git HTTPS listener
 * @param clientCertificates    whether the TLS handshake demands the end user's certificate
 * @param proxyAddress          the proxy's TLS gRPC listener
 * @param proxyIdentity         the identity the proxy must present (pinned)
 * @param virtualStorage        the storage name repositories are addressed in
 * @param requestTimeout        the longest one Git request may take
 * @param maxConcurrentRequests requests served at once
 */
record GatewaySettings(ListenAddress listen, ClientCertificates clientCertificates, ListenAddress proxyAddress,
        NodeIdentity proxyIdentity, String virtualStorage, Duration requestTimeout, int maxConcurrentRequests) {

    enum ClientCertificates { REQUIRED, OPTIONAL }

    static GatewaySettings read(GitwardConfig config, NodeSettings node) {
        ListenAddress listen = address(config, "gateway.listen");
        ClientCertificates certificates = config.enumValue("gateway.client-certificates", ClientCertificates.class,
                ClientCertificates.REQUIRED);
        ListenAddress proxy = address(config, "gateway.proxy.address");
        NodeIdentity proxyIdentity = proxyIdentity(config, node);
        String virtualStorage = config.requiredString("gateway.virtual-storage", "the proxy's proxy.virtual-storage");
        if (virtualStorage != null && NodeIdentity.nameProblem(virtualStorage) != null) {
            config.problems().add("gateway.virtual-storage", "'" + virtualStorage + "' (expected: 1 to 63 of [a-z0-9-])");
        }
        Duration timeout = config.duration("gateway.request-timeout");
        int concurrent = config.integer("gateway.max-concurrent-requests", 1, 10_000);
        if (node.identity() == null && !config.isSet("security.tls.certificate-chain")) {
            config.problems().add("security.tls.certificate-chain", "missing (a gateway serves HTTPS with its edge"
                    + " certificate and presents it to the proxy)");
        }
        return new GatewaySettings(listen, certificates, proxy, proxyIdentity, virtualStorage, timeout, concurrent);
    }

    private static ListenAddress address(GitwardConfig config, String key) {
        String value = config.requiredString(key, "host:port");
        if (value == null) {
            return null;
        }
        try {
            return ListenAddress.parse(value);
        } catch (IllegalArgumentException e) {
            config.problems().add(key, e.getMessage());
            return null;
        }
    }

    private static NodeIdentity proxyIdentity(GitwardConfig config, NodeSettings node) {
        String key = "gateway.proxy.identity";
        String value = config.requiredString(key, "the proxy's SPIFFE ID, e.g. spiffe://cell-1.gitward/proxy/proxy-1");
        if (value == null) {
            return null;
        }
        try {
            NodeIdentity identity = NodeIdentity.parseSpiffeId(value);
            if (identity.role() != Role.PROXY) {
                config.problems().add(key, "'" + value + "' is a " + identity.role() + " identity (expected: a proxy)");
            } else if (node.trustDomain() != null && !identity.trustDomain().equals(node.trustDomain())) {
                config.problems().add(key, "'" + value + "' is in trust domain '" + identity.trustDomain()
                        + "' (expected: this node's '" + node.trustDomain() + "')");
            }
            return identity;
        } catch (InvalidIdentityException e) {
            config.problems().add(key, "'" + value + "': " + e.getMessage());
            return null;
        }
    }
}
