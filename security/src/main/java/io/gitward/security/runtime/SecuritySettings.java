package io.gitward.security.runtime;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.gitward.proto.Scope;
import io.gitward.security.authz.ScopePolicy;
import io.gitward.security.config.GitwardConfig;
import io.gitward.security.identity.IdentityMode;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.phase.EffectiveFlags;
import io.gitward.security.phase.TokenPolicy;
import io.gitward.security.server.NodeKind;
import io.gitward.security.tls.TlsProvider;
import io.gitward.security.x509.RevocationPolicy;
import io.netty.handler.ssl.ClientAuth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Everything under {@code security.*}, read and cross-checked in one pass; every problem is recorded in the
 * config with its key. Immutable.
 */
public record SecuritySettings(TrustDomain trustDomain, EffectiveFlags flags, TlsProvider provider, Path key,
        Path certificateChain, List<DomainTrust> domains, IdentityMode identityMode, Path tokenFile, Duration tokenSkew,
        int replayCapacity, List<ScopePolicy.Rule> rules, boolean allowDirectClientStorage, String forwardedHeader,
        int forwardedMaxBytes, Path auditFile, int auditMaxKeys, Duration auditFlushInterval, Duration wouldDenyLogPeriod,
        Duration reloadInterval, Limits limits) {

    /** One trust domain's bundle and CRLs. */
    public record DomainTrust(TrustDomain trustDomain, Path roots, List<Path> intermediates, List<Path> crls,
            RevocationPolicy revocation) {
        public DomainTrust {
            intermediates = List.copyOf(intermediates);
            crls = List.copyOf(crls);
        }
    }

    /** Resource limits of design.md section 8. */
    public record Limits(Duration handshakeTimeout, int maxConnections, int maxConcurrentStreams, int maxInboundMessageBytes,
            int maxInboundMetadataBytes, int maxRstFrames, Duration rstWindow, Duration maxConnectionAge,
            Duration maxConnectionAgeGrace, int expensiveCallsPerIdentity, Duration idleTimeout) {
    }

    public SecuritySettings {
        domains = List.copyOf(domains);
        rules = List.copyOf(rules);
    }

    public static SecuritySettings read(GitwardConfig config, NodeKind kind, TrustDomain trustDomain, Path dataDirectory,
            boolean tlsListenerConfigured) {
        EffectiveFlags flags = EffectiveFlags.read(config);
        int phase = flags.phase();
        TlsProvider provider = config.enumValue("security.tls.provider", TlsProvider.class, TlsProvider.BORINGSSL);
        String unavailable = provider.unavailableReason();
        if (unavailable != null) {
            config.problems().add("security.tls.provider", unavailable);
        }
        Path key = existing(config, "security.tls.key");
        Path chain = existing(config, "security.tls.certificate-chain");
        boolean needsIdentity = phase >= 1 || tlsListenerConfigured;
        for (String required : new String[] {"security.tls.key", "security.tls.certificate-chain"}) {
            if (needsIdentity && !config.isSet(required)) {
                config.problems().add(required, "missing (phase " + phase + (tlsListenerConfigured ? " with a TLS listener"
                        : "") + " needs this node's key and chain; make them with: gitward pki issue)");
            }
        }
        IdentityMode identityMode = config.enumValue("security.trust.identity-mode", IdentityMode.class,
                IdentityMode.URI_SAN);
        List<DomainTrust> domains = new ArrayList<>();
        Path roots = existing(config, "security.trust.roots");
        List<Path> crls = existingList(config, "security.trust.crls");
        List<Path> intermediates = existingList(config, "security.trust.intermediates");
        RevocationPolicy revocation = revocation(config, "security.trust.revocation", crls);
        boolean verifiesPeers = flags.flags().clientAuth() != ClientAuth.NONE || flags.flags().outboundTls();
        if (roots == null && verifiesPeers) {
            config.problems().add("security.trust.roots", "missing (phase " + phase + " verifies peers; expected the CA"
                    + " bundle, e.g. ca/roots.pem)");
        }
        if (phase >= 3 && crls.isEmpty()) {
            config.problems().add("security.trust.crls", "empty (phase " + phase + " refuses to run without revocation;"
                    + " expected e.g. [\"ca/crl.pem\"])");
        }
        if (phase >= 3 && revocation == RevocationPolicy.OFF) {
            config.problems().add("security.trust.revocation", "off (phase " + phase + " requires revocation checking)");
        }
        if (trustDomain != null && roots != null) {
            domains.add(new DomainTrust(trustDomain, roots, intermediates, crls, revocation));
        }
        domains.addAll(otherDomains(config, trustDomain, phase));

        Path tokenFile = existing(config, "security.tokens.file");
        TokenPolicy tokens = flags.flags().tokens();
        boolean tokensNeeded = tokens == TokenPolicy.REQUIRED || tokens == TokenPolicy.REQUIRED_WITHOUT_CERT
                || (tokens == TokenPolicy.REQUIRED_ON_PLAINTEXT && flags.flags().plaintextListener());
        if (tokensNeeded && tokenFile == null && !config.isSet("security.tokens.file")) {
            config.problems().add("security.tokens.file", "missing (phase " + phase + " requires tokens from "
                    + (tokens == TokenPolicy.REQUIRED ? "every caller" : "callers without a certificate")
                    + "; expected a 0600 file with the secret)");
        }
        Duration skew = config.duration("security.tokens.skew");
        int replayCapacity = config.integer("security.tokens.replay-capacity", 1000, 50_000_000);

        List<ScopePolicy.Rule> rules = rules(config);
        boolean allowDirect = config.bool("security.insecure-allow-direct-client-storage");
        if (trustDomain != null) {
            try {
                ScopePolicy.of(kind, trustDomain, rules, allowDirect);
            } catch (IllegalArgumentException e) {
                config.problems().add("security.authorization.rules", e.getMessage());
            }
        }
        String header = config.requiredString("security.forwarded-identity.header", "a header name");
        if (header != null && !header.matches("[a-z0-9-]+")) {
            config.problems().add("security.forwarded-identity.header", "'" + header
                    + "' (expected lower-case letters, digits and '-')");
        }
        int forwardedMax = config.integer("security.forwarded-identity.max-bytes", 1024, 65536);
        String auditName = config.requiredString("security.audit.file", "a file name such as audit.json");
        Path auditFile = dataDirectory.resolve(auditName == null ? "audit.json" : auditName).normalize();
        Limits limits = new Limits(config.duration("security.limits.handshake-timeout"),
                config.integer("security.limits.max-connections", 1, 1_000_000),
                config.integer("security.limits.max-concurrent-streams", 1, 100_000),
                config.integer("security.limits.max-inbound-message-bytes", 1024, 1 << 30),
                config.integer("security.limits.max-inbound-metadata-bytes", 1024, 1 << 20),
                config.integer("security.limits.max-rst-frames", 1, 1_000_000),
                config.duration("security.limits.rst-window"),
                config.duration("security.limits.max-connection-age"),
                config.duration("security.limits.max-connection-age-grace"),
                config.integer("security.limits.expensive-calls-per-identity", 1, 10_000),
                config.duration("security.limits.idle-timeout"));
        return new SecuritySettings(trustDomain, flags, provider, key, chain, domains, identityMode, tokenFile, skew,
                replayCapacity, rules, allowDirect, header, forwardedMax, auditFile,
                config.integer("security.audit.max-keys", 10, 10_000_000), config.duration("security.audit.flush-interval"),
                config.duration("security.audit.would-deny-log-period"), config.duration("security.reload.interval"), limits);
    }

    /** The insecure settings in effect, each with why it is insecure; logged as warnings at start. */
    public List<String> insecureSettings() {
        List<String> warnings = new ArrayList<>();
        if (flags.flags().legacyForwardTokenInTransaction()) {
            warnings.add("security.legacy-forward-token-in-transaction is on: the proxy's token travels inside "
                    + "transaction metadata to storage nodes (the legacy scheme; phases 0-2 preset it)");
        }
        if (allowDirectClientStorage) {
            warnings.add("security.insecure-allow-direct-client-storage is on: client certificates may call storage "
                    + "nodes directly, bypassing the proxy's transactions");
        }
        if (flags.flags().tokens() == TokenPolicy.TRANSITIONING) {
            warnings.add("security.flags.tokens = transitioning: missing or bad tokens are only counted, never rejected");
        }
        if (flags.flags().plaintextListener()) {
            warnings.add("the plaintext gRPC listener is open (phase " + flags.phase() + "): traffic on it is not encrypted");
        }
        return warnings;
    }

    private static RevocationPolicy revocation(GitwardConfig config, String key, List<Path> crls) {
        if (!config.isSet(key)) {
            return crls.isEmpty() ? RevocationPolicy.OFF : RevocationPolicy.REQUIRE;
        }
        return config.enumValue(key, RevocationPolicy.class, RevocationPolicy.REQUIRE);
    }

    private static List<DomainTrust> otherDomains(GitwardConfig config, TrustDomain own, int phase) {
        List<DomainTrust> result = new ArrayList<>();
        List<? extends Config> entries;
        try {
            entries = config.raw().getConfigList("security.trust.other-domains");
        } catch (ConfigException e) {
            config.problems().add("security.trust.other-domains", "expected a list of {trust-domain, roots, crls}");
            return result;
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < entries.size(); i++) {
            Config entry = entries.get(i);
            String key = "security.trust.other-domains[" + i + "]";
            try {
                TrustDomain domain = TrustDomain.of(entry.getString("trust-domain"));
                if (domain.equals(own) || !seen.add(domain.name())) {
                    config.problems().add(key, "trust domain '" + domain + "' appears twice");
                    continue;
                }
                Path roots = config.baseDirectory().resolve(entry.getString("roots")).normalize();
                List<Path> intermediates = new ArrayList<>();
                if (entry.hasPath("intermediates")) {
                    for (String file : entry.getStringList("intermediates")) {
                        intermediates.add(config.baseDirectory().resolve(file).normalize());
                    }
                }
                List<Path> crls = new ArrayList<>();
                if (entry.hasPath("crls")) {
                    for (String crl : entry.getStringList("crls")) {
                        crls.add(config.baseDirectory().resolve(crl).normalize());
                    }
                }
                List<Path> all = concat(roots, crls);
                all.addAll(intermediates);
                for (Path file : all) {
                    if (!Files.isRegularFile(file)) {
                        config.problems().add(key, file + ": no such file");
                    }
                }
                if (phase >= 3 && crls.isEmpty()) {
                    config.problems().add(key, "no crls (phase " + phase + " requires revocation for every trust domain)");
                }
                result.add(new DomainTrust(domain, roots, intermediates, crls, crls.isEmpty() ? RevocationPolicy.OFF
                        : RevocationPolicy.REQUIRE));
            } catch (ConfigException | IllegalArgumentException e) {
                config.problems().add(key, "expected {trust-domain, roots, crls}: " + e.getMessage());
            }
        }
        return result;
    }

    private static List<ScopePolicy.Rule> rules(GitwardConfig config) {
        List<ScopePolicy.Rule> rules = new ArrayList<>();
        List<? extends Config> entries;
        try {
            entries = config.raw().getConfigList("security.authorization.rules");
        } catch (ConfigException e) {
            config.problems().add("security.authorization.rules", "expected a list of {scope, roles, trust-domains}");
            return rules;
        }
        for (int i = 0; i < entries.size(); i++) {
            Config entry = entries.get(i);
            String key = "security.authorization.rules[" + i + "]";
            try {
                Scope scope = Scope.valueOf(entry.getString("scope"));
                Set<Role> roles = EnumSet.noneOf(Role.class);
                for (String role : entry.getStringList("roles")) {
                    roles.add(Role.parse(role));
                }
                Set<TrustDomain> domains = new HashSet<>();
                if (entry.hasPath("trust-domains")) {
                    for (String domain : entry.getStringList("trust-domains")) {
                        domains.add(TrustDomain.of(domain));
                    }
                }
                rules.add(new ScopePolicy.Rule(scope, roles, domains));
            } catch (ConfigException | IllegalArgumentException e) {
                config.problems().add(key, "expected {scope = ADMIN_READ, roles = [auditor], trust-domains = [...]}: "
                        + e.getMessage());
            }
        }
        return rules;
    }

    private static List<Path> concat(Path first, List<Path> rest) {
        List<Path> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }

    private static Path existing(GitwardConfig config, String key) {
        Path path = config.path(key);
        if (path != null && !Files.isRegularFile(path)) {
            config.problems().add(key, path + ": no such file");
            return null;
        }
        return path;
    }

    private static List<Path> existingList(GitwardConfig config, String key) {
        List<Path> result = new ArrayList<>();
        for (Path path : config.pathList(key)) {
            if (!Files.isRegularFile(path)) {
                config.problems().add(key, path + ": no such file");
            } else {
                result.add(path);
            }
        }
        return result;
    }
}
