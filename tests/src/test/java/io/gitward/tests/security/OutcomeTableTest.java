package io.gitward.tests.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.pki.defects.Defect;
import io.gitward.pki.defects.DefectiveCertificates;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.phase.AuthorizationMode;
import io.gitward.security.server.NodeKind;
import io.gitward.security.token.TokenSecret;
import io.gitward.security.token.Tokens;
import io.gitward.security.x509.Pem;
import io.gitward.tests.SuiteSummary;
import io.gitward.tests.TestTokens;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Checks every cell of docs/outcome-table.md against a proxy, a storage node and a coordinator running the
 * real security runtime on real sockets, moving through the phases by config reload, once with BoringSSL
 * nodes and JDK callers and once the other way round. Bad certificates come from pki-tools and from the
 * openssl CLI. Mismatches are collected and reported together.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OutcomeTableTest {
    private static final String SECRET = "outcome-table-shared-token-secret";
    private static final String FORWARDED_HEADER = "x-gitward-client-cert";

    private Path dir;

    private TestPki pki;
    private TestPki other;
    private Path tokenFile;
    private final Map<String, List<Caller>> callers = new LinkedHashMap<>();
    private List<X509Certificate> roots;
    /** For the suite summary, over both provider runs: cells, and those of the bad-certificate rows. */
    private final int[] cellsChecked = new int[2];
    private final int[] cellsMismatched = new int[2];
    private final java.util.Set<String> providersRun = new java.util.TreeSet<>();

    /** How one row's caller connects. */
    record Caller(String variant, boolean tls, ProbeCaller.ClientIdentity identity, String token,
            ProbeCaller.ClientIdentity forwarded) {
    }

    @BeforeAll
    void makeEveryCaller(@TempDir Path temporary) throws Exception {
        dir = temporary;
        pki = TestPki.create(dir.resolve("pki-a"), "cell-a.gitward", true);
        other = TestPki.create(dir.resolve("pki-b"), "cell-b.gitward", false);
        tokenFile = dir.resolve("token");
        TestTokens.writeSecret(tokenFile, SECRET);
        roots = Pem.readCertificates(pki.roots());
        for (String role : List.of("proxy", "storage", "coordinator")) {
            pki.issue(Role.parse(role), role + "-1");
        }
        add("plaintext", new Caller("", false, null, null, null));
        add("plaintext + token", new Caller("", false, null, "valid", null));
        add("plaintext + wrong token", new Caller("", false, null, "wrong", null));
        add("plaintext + expired token", new Caller("", false, null, "expired", null));
        add("plaintext + replayed token", new Caller("", false, null, "replayed", null));
        add("tls, no cert", new Caller("", true, null, null, null));
        add("tls, no cert + token", new Caller("", true, null, "valid", null));
        Map<String, ProbeCaller.ClientIdentity> byRole = new LinkedHashMap<>();
        for (Role role : Role.values()) {
            ProbeCaller.ClientIdentity identity = SecurityRuntimeSmokeTest.identity(pki.issue(role, "caller-" + role));
            byRole.put(role.wireName(), identity);
            add("cert " + role.wireName(), new Caller("", true, identity, null, null));
        }
        add("cert admin + wrong token", new Caller("", true, byRole.get("admin"), "wrong", null));
        add("cert auditor of other domain", new Caller("", true,
                SecurityRuntimeSmokeTest.identity(other.issue(Role.AUDITOR, "central")), null, null));
        add("cert edge + forwarded client", new Caller("", true, byRole.get("edge"), null, byRole.get("client")));
        add("cert edge + forwarded admin", new Caller("", true, byRole.get("edge"), null, byRole.get("admin")));
        add("cert client + forwarded client", new Caller("", true, byRole.get("client"), null, byRole.get("client")));
        DefectiveCertificates forger = new DefectiveCertificates(pki.authority(), TrustDomain.of("cell-b.gitward"));
        OpensslForge openssl = new OpensslForge(dir.resolve("openssl"), pki.authority(), "cell-b.gitward");
        for (Defect defect : Defect.values()) {
            String name = "bad-" + defect.tableName().replace("-", "");
            name = name.substring(0, Math.min(name.length(), 40));
            DefectiveCertificates.Forged forged = forger.forge(defect, name);
            add("bad " + defect.tableName(), new Caller("pki-tools", true,
                    new ProbeCaller.ClientIdentity(forged.key(), forged.chain()), null, null));
            if (OpensslForge.supports(defect)) {
                DefectiveCertificates.Forged byOpenssl = openssl.forge(defect, name + "o");
                add("bad " + defect.tableName(), new Caller("openssl", true,
                        new ProbeCaller.ClientIdentity(byOpenssl.key(), byOpenssl.chain()), null, null));
            }
        }
    }

    private void add(String row, Caller caller) {
        callers.computeIfAbsent(row, key -> new ArrayList<>()).add(caller);
    }

    @ParameterizedTest(name = "every cell holds with {0} nodes and {1} callers")
    // Callers use the JDK: a BoringSSL client refuses to present some defective certificates at all (it checks
    // its own key usage), which would test the client library instead of the node.
    @CsvSource({"boringssl, JDK", "jdk, JDK"})
    void everyCellOfTheOutcomeTableHolds(String serverProvider, SslProvider clientProvider) throws Exception {
        OutcomeTable table = OutcomeTable.load();
        assertEquals(List.of("0", "1", "2", "3", "4-audit", "4-enforce", "5", "6"), List.copyOf(table.phases().keySet()));
        Path run = Files.createDirectories(dir.resolve("run-" + serverProvider));
        Map<NodeKind, InProcessNode> nodes = new LinkedHashMap<>();
        Map<NodeKind, NodeConfig> configs = new LinkedHashMap<>();
        List<String> mismatches = new ArrayList<>();
        int cells = 0;
        try {
            // The table's node columns; the gateway's gRPC surface is ADMIN_READ only and its Git HTTPS surface is
            // covered by GitGatewayIT.
            for (NodeKind kind : List.of(NodeKind.STORAGE, NodeKind.PROXY, NodeKind.COORDINATOR)) {
                NodeConfig config = NodeConfig.node(kind + "-1", run.resolve(kind + "-data"))
                        .identity(pki, pki.files(kind.role(), kind + "-1"))
                        .set("security.tls.provider", NodeConfig.quote(serverProvider))
                        .path("security.tokens.file", tokenFile)
                        .set("security.trust.other-domains", "[{trust-domain = \"cell-b.gitward\", roots = "
                                + NodeConfig.quote(other.roots().toString()) + ", crls = ["
                                        + NodeConfig.quote(other.crl().toString())
                                + "]}]")
                        .set("security.phase", "0");
                configs.put(kind, config);
                nodes.put(kind, InProcessNode.start(kind, config.write(run.resolve(kind + ".conf"))));
            }
            Map<NodeKind, Integer> plaintextPorts = new LinkedHashMap<>();
            nodes.forEach((kind, node) -> plaintextPorts.put(kind, node.plaintextPort()));
            for (Map.Entry<String, Map<String, Map<String, String>>> phase : table.phases().entrySet()) {
                moveTo(phase.getKey(), nodes, configs);
                for (Map.Entry<String, Map<String, String>> row : phase.getValue().entrySet()) {
                    List<Caller> variants = callers.get(row.getKey());
                    assertTrue(variants != null, "the table has a caller the test cannot play: " + row.getKey());
                    for (Caller caller : variants) {
                        cells += playRow(phase.getKey(), row.getKey(), row.getValue(), caller, nodes, plaintextPorts,
                                clientProvider, mismatches);
                    }
                }
            }
        } finally {
            nodes.values().forEach(InProcessNode::close);
        }
        providersRun.add(serverProvider);
        System.out.printf("outcome table (%s nodes, %s callers): %d cells checked, %d mismatches%n", serverProvider,
                clientProvider, cells, mismatches.size());
        Files.write(Path.of("target").resolve("outcome-mismatches-" + serverProvider + ".txt"), mismatches);
        assertEquals(List.of(), mismatches.subList(0, Math.min(mismatches.size(), 60)),
                mismatches.size() + " cells differ from docs/outcome-table.md");
    }

    @AfterAll
    void recordInTheSuiteSummary() {
        long badKinds = Defect.values().length;
        long opensslKinds = java.util.Arrays.stream(Defect.values()).filter(OpensslForge::supports).count();
        SuiteSummary.record("outcome-table", cellsChecked[0], cellsChecked[0] - cellsMismatched[0], cellsMismatched[0],
                SuiteSummary.figures("nodes", "in-process", "providers", String.join("+", providersRun), "phases", "8"));
        SuiteSummary.record("bad-certificates", cellsChecked[1], cellsChecked[1] - cellsMismatched[1], cellsMismatched[1],
                SuiteSummary.figures("kinds-pki-tools", Long.toString(badKinds), "kinds-openssl", Long.toString(opensslKinds),
                        "providers", String.join("+", providersRun)));
    }

    /** Rewrites every node's config for the phase variant and waits until each runs it. */
    private void moveTo(String variant, Map<NodeKind, InProcessNode> nodes, Map<NodeKind, NodeConfig> configs)
            throws Exception {
        int phase = Integer.parseInt(variant.substring(0, 1));
        AuthorizationMode mode = variant.equals("4-enforce") ? AuthorizationMode.ENFORCE : null;
        for (NodeKind kind : nodes.keySet()) {
            NodeConfig config = configs.get(kind).set("security.phase", String.valueOf(phase));
            config.set("security.flags.authorization", mode == null ? "null" : "enforce");
            nodes.get(kind).rewriteConfig(config.render());
        }
        AuthorizationMode expected = mode != null ? mode
                : io.gitward.security.phase.PhaseFlags.preset(phase).authorization();
        Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() ->
                nodes.values().stream().allMatch(node -> node.runtime().security().flags().phase() == phase
                        && node.runtime().security().phaseFlags().authorization() == expected));
    }

    /**
     * Plays one row: per node, one connection attempt as the caller, then each of that node's scopes on it.
     * A handshake refusal is observed on the first call (and its reason read from the node's counters);
     * the other calls on that connection report what the channel reports.
     */
    private int playRow(String phase, String rowName, Map<String, String> row, Caller caller,
            Map<NodeKind, InProcessNode> nodes, Map<NodeKind, Integer> plaintextPorts, SslProvider provider,
            List<String> mismatches) throws Exception {
        int cells = 0;
        for (NodeKind kind : nodes.keySet()) {
            InProcessNode node = nodes.get(kind);
            int port = caller.tls() ? node.tlsPort() : plaintextPorts.get(kind);
            Map<String, List<String>> headers = new LinkedHashMap<>();
            if (caller.forwarded() != null) {
                headers.put(FORWARDED_HEADER, List.of(ProbeCaller.forwardedHeaderValue(caller.forwarded().chain())));
            }
            Map<String, Long> before = node.runtime().security().credentials().failures().snapshot();
            io.grpc.ManagedChannel channel = ProbeCaller.channel(port, caller.tls(), caller.identity(), roots, provider);
            String handshakeReason = null;
            try {
                for (Map.Entry<String, String> cell : row.entrySet()) {
                    String[] target = cell.getKey().split(" ");
                    if (!target[0].equals(kind.wireName())) {
                        continue;
                    }
                    ProbeCaller.Method method = ProbeCaller.Method.valueOf(target[1]);
                    String token = token(caller.token());
                    if ("replayed".equals(caller.token())) {
                        ProbeCaller.call(channel, method, token, headers);
                    }
                    ProbeCaller.Result result = ProbeCaller.call(channel, method, token, headers);
                    String actual;
                    if (result.outcome() == Outcome.OK && result.response().getAuthorizationHeaderVisible()) {
                        actual = "OK but the authorization header reached the handler";
                    } else if (result.outcome() == Outcome.HANDSHAKE_REFUSED) {
                        if (handshakeReason == null) {
                            handshakeReason = refusalReason(node, before);
                        }
                        actual = "HANDSHAKE_REFUSED(" + handshakeReason + ")";
                    } else {
                        actual = result.outcome() == Outcome.OTHER ? "OTHER " + result : result.outcome().name();
                    }
                    cells++;
                    boolean bad = rowName.startsWith("bad ");
                    cellsChecked[bad ? 1 : 0]++;
                    if (!actual.equals(cell.getValue())) {
                        cellsMismatched[bad ? 1 : 0]++;
                        mismatches.add("phase " + phase + " | " + rowName + (caller.variant().isEmpty() ? ""
                                : " (" + caller.variant() + ")") + " | " + cell.getKey() + ": expected " + cell.getValue()
                                + ", got " + actual);
                    }
                }
            } finally {
                channel.shutdownNow();
            }
        }
        return cells;
    }

    /** The reason the node counted for the refused handshake (it may count a moment after the client gave up). */
    private static String refusalReason(InProcessNode node, Map<String, Long> before) {
        String[] reason = {null};
        Awaitility.await().atMost(5, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(5)).until(() -> {
            Map<String, Long> after = node.runtime().security().credentials().failures().snapshot();
            for (Map.Entry<String, Long> entry : after.entrySet()) {
                if (entry.getValue() > before.getOrDefault(entry.getKey(), 0L)) {
                    reason[0] = entry.getKey();
                    return true;
                }
            }
            return false;
        });
        return reason[0];
    }

    private static String token(String kind) {
        if (kind == null) {
            return null;
        }
        return switch (kind) {
            case "valid", "replayed" -> TestTokens.tokens(SECRET).issue();
            case "wrong" -> TestTokens.tokens("a-different-secret-of-another-cluster").issue();
            case "expired" -> new Tokens(TokenSecret.of(SECRET), Duration.ofSeconds(30),
                    Clock.fixed(Instant.now().minusSeconds(3600), ZoneOffset.UTC), 10).issue();
            default -> throw new IllegalArgumentException(kind);
        };
    }
}
