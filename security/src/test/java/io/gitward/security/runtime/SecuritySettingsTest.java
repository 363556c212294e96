package io.gitward.security.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.Scope;
import io.gitward.security.authz.ScopePolicy;
import io.gitward.security.config.GitwardConfig;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.server.NodeKind;
import io.gitward.security.x509.RevocationPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code security.*} read in one pass: every problem is collected with its key. SecuritySettings only checks
 * that files exist, so the key, chain, bundle, CRL and token files here are placeholders.
 */
class SecuritySettingsTest {
    private static final TrustDomain OWN = TrustDomain.of("gitward.local");
    private static final List<String> FILES = List.of("key.pem", "chain.pem", "roots.pem", "crl.pem", "intermediate.pem",
            "tokens", "b-roots.pem", "b-crl.pem");

    @TempDir
    Path dir;

    @BeforeEach
    void placeholders() throws Exception {
        for (String name : FILES) {
            Files.writeString(dir.resolve(name), "placeholder\n");
        }
    }

    /** A configuration that is complete for every phase: each case removes or changes one thing. */
    private static Map<String, String> complete(int phase) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("security.phase", String.valueOf(phase));
        settings.put("security.tls.provider", "jdk");
        settings.put("listen.grpc-tls", "\"127.0.0.1:0\"");
        settings.put("security.tls.key", "key.pem");
        settings.put("security.tls.certificate-chain", "chain.pem");
        settings.put("security.trust.roots", "roots.pem");
        settings.put("security.trust.crls", "[crl.pem]");
        settings.put("security.trust.intermediates", "[intermediate.pem]");
        settings.put("security.tokens.file", "tokens");
        return settings;
    }

    /** Changes of {@link #complete}: a value, or null to leave the key out. */
    private static Map<String, String> changes(String... keysAndValues) {
        Map<String, String> changes = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            changes.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return changes;
    }

    private GitwardConfig config(int phase, Map<String, String> changes) throws Exception {
        Map<String, String> settings = complete(phase);
        settings.putAll(changes);
        StringBuilder hocon = new StringBuilder();
        settings.forEach((key, value) -> {
            if (value != null) {
                hocon.append(key).append(" = ").append(value).append('\n');
            }
        });
        return GitwardConfig.parse(hocon.toString(), dir, Map.of());
    }

    private SecuritySettings read(GitwardConfig config, NodeKind kind, boolean tlsListener) {
        return SecuritySettings.read(config, kind, OWN, dir, tlsListener);
    }

    static IntStream phases() {
        return IntStream.rangeClosed(0, 6);
    }

    @ParameterizedTest(name = "phase {0}: a complete configuration has no problem")
    @MethodSource("phases")
    void aCompleteConfigurationHasNoProblem(int phase) throws Exception {
        GitwardConfig config = config(phase, Map.of());
        SecuritySettings settings = read(config, NodeKind.STORAGE, true);
        assertEquals(List.of(), config.problems().all());
        assertEquals(1, settings.domains().size());
        SecuritySettings.DomainTrust own = settings.domains().get(0);
        assertEquals(OWN, own.trustDomain());
        assertEquals(dir.resolve("roots.pem"), own.roots());
        assertEquals(List.of(dir.resolve("crl.pem")), own.crls());
        assertEquals(List.of(dir.resolve("intermediate.pem")), own.intermediates());
        assertEquals(RevocationPolicy.REQUIRE, own.revocation(), "CRLs configured: revocation required");
        assertEquals(dir.resolve("tokens"), settings.tokenFile());
        assertEquals(dir.resolve("audit.json"), settings.auditFile());
    }

    static Stream<Arguments> allowed() {
        return Stream.of(
                Arguments.of("phase 0 without certificates, bundle or CRLs", 0,
                        changes("security.tls.key", null, "security.tls.certificate-chain", null, "security.trust.roots", null,
                                "security.trust.crls", "[]", "security.trust.intermediates", "[]")),
                Arguments.of("phase 2 without CRLs", 2, changes("security.trust.crls", "[]")),
                Arguments.of("phase 5 without a token file (tokens are never needed)", 5,
                        changes("security.tokens.file", null)),
                Arguments.of("phase 6 without a token file", 6, changes("security.tokens.file", null)),
                Arguments.of("phase 3 with plaintext closed and no token file", 3,
                        changes("security.flags.plaintext-listener", "false", "security.tokens.file", null)),
                Arguments.of("phase 3 with revocation if-present", 3, changes("security.trust.revocation", "if-present")),
                Arguments.of("phase 5 with a rule adding a role", 5,
                        changes("security.authorization.rules", "[{scope = ADMIN_READ, roles = [proxy]}]")),
                Arguments.of("phase 5 with another trust domain bound to its bundle and CRL", 5,
                        changes("security.trust.other-domains", "[{trust-domain = b.cell, roots = b-roots.pem, "
                                + "crls = [b-crl.pem]}]")));
    }

    @ParameterizedTest(name = "{0} is fine")
    @MethodSource("allowed")
    void configurationsWithoutProblems(String name, int phase, Map<String, String> changes) throws Exception {
        GitwardConfig config = config(phase, changes);
        read(config, NodeKind.STORAGE, false);
        assertEquals(List.of(), config.problems().all());
    }

    static Stream<Arguments> problems() {
        return Stream.of(
                Arguments.of("phase 1 without a key", 1, changes("security.tls.key", null), false,
                        List.of("security.tls.key: missing (phase 1 needs this node's key and chain")),
                Arguments.of("phase 1 without a certificate chain", 1, changes("security.tls.certificate-chain", null), false,
                        List.of("security.tls.certificate-chain: missing (phase 1 needs")),
                Arguments.of("phase 0 with a TLS listener but without a key", 0, changes("security.tls.key", null), true,
                        List.of("security.tls.key: missing (phase 0 with a TLS listener")),
                Arguments.of("phase 1 without key and chain names both", 1,
                        changes("security.tls.key", null, "security.tls.certificate-chain", null), false,
                        List.of("security.tls.key: missing (phase 1", "security.tls.certificate-chain: missing (phase 1")),
                Arguments.of("phase 3 without CRLs", 3, changes("security.trust.crls", "[]"), false,
                        List.of("security.trust.crls: empty (phase 3 refuses to run without revocation")),
                Arguments.of("phase 6 without CRLs", 6, changes("security.trust.crls", "[]"), false,
                        List.of("security.trust.crls: empty (phase 6")),
                Arguments.of("phase 3 with revocation off", 3, changes("security.trust.revocation", "off"), false,
                        List.of("security.trust.revocation: off (phase 3 requires revocation checking)")),
                Arguments.of("phase 5 with revocation off", 5, changes("security.trust.revocation", "off"), false,
                        List.of("security.trust.revocation: off (phase 5")),
                Arguments.of("an unknown revocation policy", 5, changes("security.trust.revocation", "sometimes"), false,
                        List.of("security.trust.revocation: 'sometimes'")),
                Arguments.of("phase 1 without roots (it dials TLS)", 1, changes("security.trust.roots", null), false,
                        List.of("security.trust.roots: missing (phase 1 verifies peers")),
                Arguments.of("phase 0 dialing TLS without roots", 0,
                        changes("security.trust.roots", null, "security.flags.outbound-tls", "true"), false,
                        List.of("security.trust.roots: missing (phase 0 verifies peers")),
                Arguments.of("phase 0 without a token file", 0, changes("security.tokens.file", null), false,
                        List.of("security.tokens.file: missing (phase 0 requires tokens from every caller")),
                Arguments.of("phase 1 without a token file", 1, changes("security.tokens.file", null), false,
                        List.of("security.tokens.file: missing (phase 1 requires tokens from every caller")),
                Arguments.of("phase 2 without a token file", 2, changes("security.tokens.file", null), false,
                        List.of("security.tokens.file: missing (phase 2 requires tokens from callers without a certificate")),
                Arguments.of("phase 4 without a token file while plaintext is open", 4, changes("security.tokens.file", null),
                        false, List.of("security.tokens.file: missing (phase 4")),
                Arguments.of("a rule giving clients ADMIN_WRITE", 4,
                        changes("security.authorization.rules", "[{scope = ADMIN_WRITE, roles = [client]}]"), false,
                        List.of("security.authorization.rules: rule for ADMIN_WRITE names role client")),
                Arguments.of("a rule giving proxies INTERNAL", 4,
                        changes("security.authorization.rules", "[{scope = INTERNAL, roles = [proxy]}]"), false,
                        List.of("security.authorization.rules: rule for INTERNAL")),
                Arguments.of("a rule giving edges PUBLIC in another domain", 4,
                        changes("security.authorization.rules", "[{scope = PUBLIC, roles = [edge], trust-domains = [b.cell]}]"),
                        false, List.of("security.authorization.rules: rule for PUBLIC names role edge")),
                Arguments.of("a rule for HEALTH", 4,
                        changes("security.authorization.rules", "[{scope = HEALTH, roles = [admin]}]"), false,
                        List.of("security.authorization.rules: rule for HEALTH")),
                Arguments.of("a rule with an unknown scope", 4,
                        changes("security.authorization.rules", "[{scope = EVERYTHING, roles = [admin]}]"), false,
                        List.of("security.authorization.rules[0]: expected {scope")),
                Arguments.of("a rule with an unknown role", 4,
                        changes("security.authorization.rules", "[{scope = ADMIN_READ, roles = [wizard]}]"), false,
                        List.of("security.authorization.rules[0]: expected {scope")),
                Arguments.of("an upper-case forwarded header", 4, changes("security.forwarded-identity.header",
                        "X-Client-Cert"), false, List.of("security.forwarded-identity.header: 'X-Client-Cert'")),
                Arguments.of("a forwarded header with an underscore", 4, changes("security.forwarded-identity.header",
                        "x_client_cert"), false, List.of("security.forwarded-identity.header: 'x_client_cert'")),
                Arguments.of("an empty forwarded header", 4, changes("security.forwarded-identity.header", "\"\""), false,
                        List.of("security.forwarded-identity.header: missing")),
                Arguments.of("a forwarded size limit below 1 KiB", 4, changes("security.forwarded-identity.max-bytes",
                        "100"), false, List.of("security.forwarded-identity.max-bytes: 100 (expected: 1024..65536)")),
                Arguments.of("a missing key file", 4, changes("security.tls.key", "absent-key.pem"), false,
                        List.of("security.tls.key: " + "DIR/absent-key.pem: no such file")),
                Arguments.of("a missing chain file", 4, changes("security.tls.certificate-chain", "absent-chain.pem"), false,
                        List.of("security.tls.certificate-chain: DIR/absent-chain.pem: no such file")),
                Arguments.of("a missing bundle file", 4, changes("security.trust.roots", "absent-roots.pem"), false,
                        List.of("security.trust.roots: DIR/absent-roots.pem: no such file")),
                Arguments.of("a missing CRL file", 4, changes("security.trust.crls", "[crl.pem, absent-crl.pem]"), false,
                        List.of("security.trust.crls: DIR/absent-crl.pem: no such file")),
                Arguments.of("a missing intermediates file", 4,
                        changes("security.trust.intermediates", "[absent-intermediate.pem]"), false,
                        List.of("security.trust.intermediates: DIR/absent-intermediate.pem: no such file")),
                Arguments.of("a missing token file", 4, changes("security.tokens.file", "absent-tokens"), false,
                        List.of("security.tokens.file: DIR/absent-tokens: no such file")),
                Arguments.of("a directory where the key file should be", 4, changes("security.tls.key", "\".\""), false,
                        List.of("security.tls.key: DIR: no such file")),
                Arguments.of("another domain's missing bundle", 4, changes("security.trust.other-domains",
                        "[{trust-domain = b.cell, roots = absent-b.pem, crls = [b-crl.pem]}]"), false,
                        List.of("security.trust.other-domains[0]: DIR/absent-b.pem: no such file")),
                Arguments.of("another domain's missing CRL", 4, changes("security.trust.other-domains",
                        "[{trust-domain = b.cell, roots = b-roots.pem, crls = [absent-b-crl.pem]}]"), false,
                        List.of("security.trust.other-domains[0]: DIR/absent-b-crl.pem: no such file")),
                Arguments.of("another domain without CRLs in phase 3", 3, changes("security.trust.other-domains",
                        "[{trust-domain = b.cell, roots = b-roots.pem}]"), false,
                        List.of("security.trust.other-domains[0]: no crls (phase 3")),
                Arguments.of("another domain that is this node's own", 4, changes("security.trust.other-domains",
                        "[{trust-domain = gitward.local, roots = b-roots.pem, crls = [b-crl.pem]}]"), false,
                        List.of("security.trust.other-domains[0]: trust domain 'gitward.local' appears twice")),
                Arguments.of("the same other domain twice", 4, changes("security.trust.other-domains",
                        "[{trust-domain = b.cell, roots = b-roots.pem, crls = [b-crl.pem]},"
                                + " {trust-domain = b.cell, roots = b-roots.pem, crls = [b-crl.pem]}]"), false,
                        List.of("security.trust.other-domains[1]: trust domain 'b.cell' appears twice")),
                Arguments.of("another domain with an invalid name", 4, changes("security.trust.other-domains",
                        "[{trust-domain = \"B.Cell\", roots = b-roots.pem, crls = [b-crl.pem]}]"), false,
                        List.of("security.trust.other-domains[0]: expected {trust-domain, roots, crls}")));
    }

    @ParameterizedTest(name = "{0} is a problem naming its key")
    @MethodSource("problems")
    void eachProblemIsReportedWithItsKey(String name, int phase, Map<String, String> changes, boolean tlsListener,
            List<String> expected) throws Exception {
        GitwardConfig config = config(phase, changes);
        read(config, NodeKind.PROXY, tlsListener);
        List<String> problems = config.problems().all();
        for (String problem : expected) {
            String prefix = problem.replace("DIR", dir.toString());
            assertTrue(problems.stream().anyMatch(p -> p.startsWith(prefix)), "expected '" + prefix + "' in " + problems);
        }
    }

    @Test
    void everyProblemIsReportedAtOnce() throws Exception {
        GitwardConfig config = config(3, changes("security.tls.certificate-chain", "absent-chain.pem",
                "security.trust.crls", "[]", "security.tokens.file", null, "security.forwarded-identity.header", "X-Cert",
                "security.authorization.rules", "[{scope = TX_VOTE, roles = [proxy]}]", "security.trust.revocation", "off"));
        read(config, NodeKind.COORDINATOR, true);
        Set<String> keys = new TreeSet<>();
        for (String problem : config.problems().all()) {
            keys.add(problem.substring(0, problem.indexOf(": ")));
        }
        assertEquals(new TreeSet<>(List.of("security.tls.certificate-chain", "security.trust.crls",
                "security.trust.revocation", "security.tokens.file", "security.forwarded-identity.header",
                "security.authorization.rules")), keys, config.problems().all().toString());
    }

    @Test
    void rulesAndOptionsAreReadIntoTheSettings() throws Exception {
        GitwardConfig config = config(5, changes("security.authorization.rules",
                "[{scope = ADMIN_READ, roles = [auditor], trust-domains = [b.cell]}]",
                "security.insecure-allow-direct-client-storage", "true", "security.forwarded-identity.header", "x-ssl-cert",
                "security.trust.revocation", "if-present"));
        SecuritySettings settings = read(config, NodeKind.STORAGE, true);
        assertEquals(List.of(), config.problems().all());
        assertEquals(List.of(new ScopePolicy.Rule(Scope.ADMIN_READ, Set.of(Role.AUDITOR), Set.of(TrustDomain.of("b.cell")))),
                settings.rules());
        assertTrue(settings.allowDirectClientStorage());
        assertEquals("x-ssl-cert", settings.forwardedHeader());
        assertEquals(RevocationPolicy.IF_PRESENT, settings.domains().get(0).revocation());
    }

    @Test
    void withoutCrlsRevocationDefaultsToOff() throws Exception {
        GitwardConfig config = config(2, changes("security.trust.crls", "[]"));
        SecuritySettings settings = read(config, NodeKind.STORAGE, true);
        assertEquals(RevocationPolicy.OFF, settings.domains().get(0).revocation());
    }

    private static final String LEGACY = "security.legacy-forward-token-in-transaction";
    private static final String DIRECT = "security.insecure-allow-direct-client-storage";
    private static final String TRANSITIONING = "security.flags.tokens = transitioning";
    private static final String PLAINTEXT = "the plaintext gRPC listener is open";

    static Stream<Arguments> insecure() {
        return Stream.of(
                Arguments.of("phase 0 warns of the legacy token and the open plaintext listener", 0, changes(),
                        List.of(LEGACY, PLAINTEXT)),
                Arguments.of("phase 2 still warns of the legacy token", 2, changes(), List.of(LEGACY, PLAINTEXT)),
                Arguments.of("phase 3 warns only of the plaintext listener", 3, changes(), List.of(PLAINTEXT)),
                Arguments.of("phase 3 with the legacy token turned back on warns of it", 3, changes(LEGACY, "true"),
                        List.of(LEGACY, PLAINTEXT)),
                Arguments.of("phase 1 with the legacy token turned off does not warn of it", 1, changes(LEGACY, "false"),
                        List.of(PLAINTEXT)),
                Arguments.of("phase 0 with transitioning tokens warns of them", 0,
                        changes("security.flags.tokens", "transitioning"), List.of(LEGACY, TRANSITIONING, PLAINTEXT)),
                Arguments.of("phase 5 warns of nothing", 5, changes(), List.of()),
                Arguments.of("phase 5 with direct client access to storage warns of it", 5, changes(DIRECT, "true"),
                        List.of(DIRECT)),
                Arguments.of("phase 6 with the plaintext listener reopened warns of it", 6,
                        changes("security.flags.plaintext-listener", "true"), List.of(PLAINTEXT)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("insecure")
    void insecureSettingsAreListed(String name, int phase, Map<String, String> changes, List<String> expected)
            throws Exception {
        GitwardConfig config = config(phase, changes);
        SecuritySettings settings = read(config, NodeKind.STORAGE, true);
        assertEquals(List.of(), config.problems().all());
        List<String> found = new ArrayList<>();
        for (String warning : settings.insecureSettings()) {
            for (String marker : List.of(LEGACY, DIRECT, TRANSITIONING, PLAINTEXT)) {
                if (warning.startsWith(marker)) {
                    found.add(marker);
                }
            }
        }
        assertEquals(settings.insecureSettings().size(), found.size(), "one known marker each: "
                + settings.insecureSettings());
        assertEquals(expected, found, settings.insecureSettings().toString());
    }
}
