package io.gitward.security.server;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.identity.CertificateIdentities;
import io.gitward.security.identity.IdentityMode;
import io.gitward.security.identity.InvalidIdentityException;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.x509.Pem;
import io.gitward.security.x509.PemException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The settings every node shares (node, listen and the identity part of security), read and
 * validated from a {@link GitwardConfig}; problems are recorded in the config, not thrown.
 */
public record NodeSettings(NodeKind kind, String name, Path dataDirectory, Path readyFile, Duration shutdownGrace,
        Map<String, ListenAddress> listeners, int phase, TrustDomain trustDomain, NodeIdentity identity) {
    public static final String GRPC_PLAINTEXT = "grpc-plaintext";
    public static final String GRPC_TLS = "grpc-tls";
    public static final String HEALTH = "health";
    /** HTTPS operator endpoints (metrics, readiness, health). */
    public static final String HTTP_TLS = "http-tls";
    /** Plaintext operator endpoints; open only while the phase allows a plaintext listener. */
    public static final String HTTP_PLAINTEXT = "http-plaintext";
    /** Plaintext HTTP health probe, outside authorization. */
    public static final String HTTP_HEALTH = "http-health";
    /** The listeners the phase's {@code plaintext-listener} flag opens and closes. */
    public static final java.util.Set<String> PLAINTEXT_LISTENERS = java.util.Set.of(GRPC_PLAINTEXT, HTTP_PLAINTEXT);

    public NodeSettings {
        listeners = Map.copyOf(listeners);
    }

    public static NodeSettings read(GitwardConfig config, NodeKind kind) {
        String name = config.requiredString("node.name", "1 to 63 of [a-z0-9-], e.g. " + kind + "-1");
        if (name != null && NodeIdentity.nameProblem(name) != null) {
            config.problems().add("node.name", "'" + name + "' (expected: 1 to 63 of [a-z0-9-])");
        }
        Path dataDirectory = config.path("node.data-dir");
        if (dataDirectory == null) {
            config.problems().add("node.data-dir", "empty (expected: a directory)");
            dataDirectory = config.baseDirectory();
        }
        String readyName = config.requiredString("node.ready-file", "a file name such as ready.json");
        Path readyFile = dataDirectory.resolve(readyName == null ? "ready.json" : readyName).normalize();
        Duration grace = config.duration("node.shutdown-grace");

        Map<String, ListenAddress> listeners = new LinkedHashMap<>();
        for (String listener : new String[] {GRPC_PLAINTEXT, GRPC_TLS, HEALTH, HTTP_TLS, HTTP_PLAINTEXT,
                HTTP_HEALTH}) {
            String key = "listen." + listener;
            String value = config.string(key);
            if (value == null || value.isEmpty()) {
                continue;
            }
            try {
                listeners.put(listener, ListenAddress.parse(value));
            } catch (IllegalArgumentException e) {
                config.problems().add(key, e.getMessage());
            }
        }
        if (!listeners.containsKey(GRPC_PLAINTEXT) && !listeners.containsKey(GRPC_TLS)) {
            config.problems().add("listen", "no gRPC listener (expected: listen.grpc-plaintext or listen.grpc-tls)");
        }

        int phase = config.integer("security.phase", 0, 6);
        TrustDomain trustDomain = null;
        String domainText = config.requiredString("security.trust-domain", "a lower-case trust domain");
        if (domainText != null) {
            try {
                trustDomain = TrustDomain.of(domainText);
            } catch (IllegalArgumentException e) {
                config.problems().add("security.trust-domain", e.getMessage());
            }
        }
        for (NodeKind other : NodeKind.values()) {
            for (String key : config.explicitKeys()) {
                if (other != kind && key.startsWith(other.wireName() + ".")) {
                    config.problems().add(key, "belongs to a " + other + " node; this is a " + kind + " node");
                }
            }
        }
        NodeIdentity identity = readIdentity(config, kind, name, trustDomain);
        return new NodeSettings(kind, name, dataDirectory, readyFile, grace, listeners, phase, trustDomain, identity);
    }

    /** Whether a listener that presents this node's certificate (gRPC or HTTP) is configured. */
    public boolean tlsListenerConfigured() {
        return listeners.containsKey(GRPC_TLS) || listeners.containsKey(HTTP_TLS);
    }

    /** The identity in the configured certificate, which must be this node's own (kind, name, trust domain). */
    private static NodeIdentity readIdentity(GitwardConfig config, NodeKind kind, String name, TrustDomain trustDomain) {
        Path chain = config.path("security.tls.certificate-chain");
        if (chain == null) {
            return null;
        }
        NodeIdentity identity;
        try {
            // Issuers that cannot write URI SANs (subject-only mode) name this node in the subject, as its peers.
            IdentityMode mode = "subject-only".equals(config.string("security.trust.identity-mode"))
                    ? IdentityMode.SUBJECT_ONLY : IdentityMode.URI_SAN;
            identity = CertificateIdentities.identityOf(Pem.readCertificatesRequired(chain).get(0), mode);
        } catch (PemException e) {
            config.problems().add("security.tls.certificate-chain", e.getMessage());
            return null;
        } catch (InvalidIdentityException e) {
            config.problems().add("security.tls.certificate-chain", chain + ": " + e.getMessage());
            return null;
        }
        // A kind without a fixed role (the sidecar) checks the configured role itself; name and domain still bind.
        Role expectedRole = kind.role() == null ? identity.role() : kind.role();
        if (identity.role() != expectedRole || !identity.name().equals(name)
                || (trustDomain != null && !identity.trustDomain().equals(trustDomain))) {
            config.problems().add("security.tls.certificate-chain", chain + " is for " + identity + " but this is "
                    + kind + " node '" + name + "' in trust domain '" + trustDomain + "' (expected "
                    + "spiffe://" + trustDomain + "/" + expectedRole + "/" + name + ")");
        }
        return identity;
    }
}
