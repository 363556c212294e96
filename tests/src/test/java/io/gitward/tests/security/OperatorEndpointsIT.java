package io.gitward.tests.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.pki.SubjectAltNames;
import io.gitward.security.identity.Role;
import io.gitward.security.server.ReadyFile;
import io.gitward.security.token.Tokens;
import io.gitward.tests.GitwardProcess;
import io.gitward.tests.TestTokens;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP operator endpoints of a real storage node, driven with the real {@code curl} over HTTP/1.1 and HTTP/2
 * through every phase (0, 1, 2, 3, 4 audit, 4 enforce, 5, 6) by rewriting the node's config, which it reloads:
 * who may read {@code /metrics} and {@code /readyz} (admin yes; client and edge by the phase's authorization; no
 * certificate or a token by the phase's token rule), the plaintext listener open in phases 0-4 and refusing
 * connections from 5, the health listener answering in every phase and serving nothing else, and the audit
 * counters in {@code /metrics} counting exactly the HTTP calls made, under transports {@code http-*}. The same
 * endpoints on a proxy, a coordinator and a gateway process of one {@link MiniCluster}, at phase 4 with authorization
 * enforced (plaintext still open) and after the move to phase 6; and while each of them is stopping (SIGTERM, a call
 * still in flight within {@code node.shutdown-grace}), {@code /readyz} answers 503 {@code not ready} and
 * {@code /healthz} 503 {@code NOT_SERVING} (docs/contracts.md section 10) instead of refusing connections.
 */
class OperatorEndpointsIT {
    private static final String DOMAIN = "cell-1.gitward";
    private static final String ADMIN = "spiffe://" + DOMAIN + "/admin/admin-1";
    private static final String ANONYMOUS = "anonymous@127.0.0.1";
    private static final String SECRET = "operator-endpoints-it-secret-0123456789";
    private static final Pattern CALLS = Pattern.compile("^gitward_calls_total\\{(.*transport=\"http-[^\"]*\".*)} (\\d+)$",
            Pattern.MULTILINE);

    @TempDir
    Path dir;

    /** One stop on the way up: the phase and whether authorization is overridden to enforce. */
    record Step(String name, int phase, boolean enforce) {
        boolean certificatesAsked() {
            return phase >= 2;
        }

        boolean certificatesRequired() {
            return phase >= 3;
        }

        boolean authorizationOff() {
            return phase <= 3;
        }

        boolean plaintextOpen() {
            return phase <= 4;
        }
    }

    /** What a request should get: an HTTP status, or 0 when the TLS handshake or the connection is refused. */
    record Expect(int status, String decision) {
        static final Expect NO_ANSWER = new Expect(0, null);
    }

    private Path config;
    private Path readyFile;
    private TestPki pki;
    private final Tokens tokens = TestTokens.tokens(SECRET);
    private final Map<String, Long> expectedCalls = new TreeMap<>();
    private int curlRuns;
    /** Where the plaintext listener was while open: from phase 5 that address must refuse connections. */
    private String plaintextAddress;

    @Test
    void everyPhaseFromLegacyTokensToIdentitiesOnly() throws Exception {
        pki = TestPki.create(dir.resolve("pki"), DOMAIN, false);
        TestPki.NodeFiles storage = pki.issue(Role.STORAGE, "storage-1", SubjectAltNames.LOCAL);
        pki.issue(Role.ADMIN, "admin-1");
        pki.issue(Role.CLIENT, "client-1");
        pki.issue(Role.EDGE, "edge-1");
        TestTokens.writeSecret(dir.resolve("token"), SECRET);
        config = dir.resolve("storage.conf");
        readyFile = dir.resolve("data/ready.json");
        List<Step> steps = List.of(new Step("phase 0", 0, false), new Step("phase 1", 1, false),
                new Step("phase 2", 2, false), new Step("phase 3", 3, false), new Step("phase 4 (audit)", 4, false),
                new Step("phase 4 (enforce)", 4, true), new Step("phase 5", 5, false), new Step("phase 6", 6, false));
        writeConfig(storage, steps.get(0));
        long started = System.nanoTime();
        try (GitwardProcess node = GitwardProcess.start(dir.resolve("node.log"), Map.of(), "node", "storage", "--config",
                config.toString())) {
            ReadyFile ready = node.awaitReady(readyFile, Duration.ofSeconds(60));
            for (Step step : steps) {
                if (step != steps.get(0)) {
                    ready = moveTo(storage, step);
                }
                checkPhase(step, ready);
            }
            assertFalse(node.output().contains(SECRET), "the token secret appears in the node's log");
        }
        System.out.printf("OperatorEndpointsIT: %d curl runs over %d steps in %d ms%n", curlRuns, steps.size(),
                Duration.ofNanos(System.nanoTime() - started).toMillis());
    }

    // ---- the other node kinds: proxy, coordinator, gateway

    @Test
    void proxyCoordinatorAndGatewayServeTheEndpointsAtAnEnforcingPlaintextPhaseAndAtPhase6AndAnswer503WhileStopping()
            throws Exception {
        Path tokenFile = dir.resolve("cluster-token");
        TestTokens.writeSecret(tokenFile, SECRET);
        long started = System.nanoTime();
        try (MiniCluster cluster = MiniCluster.create(dir.resolve("cluster"), "4")) {
            pki = cluster.pki();
            cluster.identity(Role.ADMIN, "admin-1");
            cluster.identity(Role.CLIENT, "client-1");
            cluster.start(operatorEndpoints(MiniCluster.NodeSpec.replica("storage-1"), tokenFile));
            List<ClusterNode> nodes = new ArrayList<>(cluster.start(
                    operatorEndpoints(MiniCluster.NodeSpec.proxy("proxy-1", "storage-1"), tokenFile),
                    operatorEndpoints(MiniCluster.NodeSpec.coordinator("coordinator-1"), tokenFile)));
            nodes.addAll(cluster.start(operatorEndpoints(MiniCluster.NodeSpec.gateway("gateway-1", "proxy-1"), tokenFile)));
            Map<String, String> plaintext = new TreeMap<>();
            for (ClusterNode node : nodes) {
                plaintext.put(node.name(), node.ready().listeners().get("http-plaintext"));
                checkNode(node, node.ready(), plaintext.get(node.name()), false, 4);
            }
            // Up to phase 6 by config reload: servers first, so no caller requires what a server does not offer yet.
            for (ClusterNode node : List.of(cluster.node("storage-1"), nodes.get(1), nodes.get(0), nodes.get(2))) {
                moveToPhase6(node);
            }
            for (ClusterNode node : nodes) {
                checkNode(node, ReadyFile.read(node.dataDir().resolve("ready.json")), plaintext.get(node.name()), true, 8);
            }
            for (ClusterNode node : List.of(nodes.get(2), nodes.get(0), nodes.get(1))) {
                answers503WhileStopping(node, ReadyFile.read(node.dataDir().resolve("ready.json")));
            }
        }
        System.out.printf("OperatorEndpointsIT (proxy, coordinator, gateway): %d curl runs in %d ms%n", curlRuns,
                Duration.ofNanos(System.nanoTime() - started).toMillis());
    }

    private static MiniCluster.NodeSpec operatorEndpoints(MiniCluster.NodeSpec spec, Path tokenFile) {
        return spec.with("listen.http-tls", NodeConfig.quote("127.0.0.1:0"))
                .with("listen.http-plaintext", NodeConfig.quote("127.0.0.1:0"))
                .with("listen.http-health", NodeConfig.quote("127.0.0.1:0"))
                .with("security.flags.authorization", "enforce")
                .with("security.tokens.file", NodeConfig.quote(tokenFile.toString()))
                // Long enough that only the call held open by the test, never the grace, ends the stop.
                .with("node.shutdown-grace", "120s");
    }

    /**
     * One node at phase 4 (authorization enforced, plaintext open) or 6: admin reads every endpoint over HTTP/1.1 and
     * HTTP/2, a client is refused ADMIN_READ (and that is audited), no certificate gets no handshake, plaintext wants a
     * credential (phase 4) or is closed (phase 6), the health listener answers /healthz only.
     */
    private void checkNode(ClusterNode node, ReadyFile ready, String plaintext, boolean phase6, int clientDenials)
            throws Exception {
        String where = node.kind() + " " + node.name() + " at phase " + (phase6 ? "6" : "4 (enforce)");
        assertEquals(phase6 ? 6 : 4, ready.phase(), where);
        assertEquals(!phase6, ready.listeners().containsKey("http-plaintext"), where + ": http-plaintext listed");
        String tls = "https://" + ready.listeners().get("http-tls");
        String health = "http://" + ready.listeners().get("http-health");
        for (String version : List.of("--http1.1", "--http2")) {
            String h2c = version.equals("--http2") ? "--http2-prior-knowledge" : version;
            expectAnswer(where, 200, "# TYPE gitward_calls_total counter", version, tls + "/metrics",
                    certificate("admin", "admin-1"));
            expectAnswer(where, 200, "ready", version, tls + "/readyz", certificate("admin", "admin-1"));
            expectAnswer(where, 200, "SERVING", version, tls + "/healthz", certificate("admin", "admin-1"));
            for (String path : List.of("/metrics", "/readyz")) {
                expectAnswer(where, 403, "scope ADMIN_READ", version, tls + path, certificate("client", "client-1"));
            }
            expectAnswer(where, 200, "SERVING", h2c, health + "/healthz", List.of());
            expectAnswer(where, 404, "not found", h2c, health + "/metrics", List.of());
            if (phase6) {
                Curl.Response closed = Curl.run(List.of(h2c, "http://" + plaintext + "/metrics"));
                curlRuns++;
                assertEquals(7, closed.exitCode(), where + ": the plaintext listener is closed: " + closed);
            } else {
                expectAnswer(where, 401, "unauthenticated", h2c, "http://" + plaintext + "/metrics", List.of());
                expectAnswer(where, 403, "scope ADMIN_READ", h2c, "http://" + plaintext + "/metrics",
                        withToken(List.of()));
            }
        }
        Curl.Response anonymous = Curl.run(List.of("--http2", tls + "/metrics", "--cacert", pki.roots().toString()));
        curlRuns++;
        assertEquals(0, anonymous.status(), where + ": no certificate, no handshake: " + anonymous);
        assertTrue(anonymous.exitCode() != 0, where + ": " + anonymous);
        // The refusals are audited like gRPC calls: 2 paths x 2 HTTP versions per phase so far.
        List<String> args = new ArrayList<>(certificate("admin", "admin-1"));
        args.addAll(List.of("--http2", tls + "/metrics"));
        Curl.Response metrics = Curl.run(args);
        curlRuns++;
        String clientDenied = "gitward_calls_total{" + key("spiffe://" + pki.trustDomain() + "/client/client-1",
                "http-mtls", "none", "ADMIN_READ", "deny") + "} " + clientDenials;
        assertTrue(metrics.body().lines().anyMatch(clientDenied::equals), where + ": expected '" + clientDenied + "' in\n"
                + metrics.body());
    }

    private void expectAnswer(String where, int status, String bodyPart, String version, String url,
            List<String> credentials) throws Exception {
        List<String> args = new ArrayList<>(credentials);
        args.add(version);
        args.add(url);
        Curl.Response response = Curl.run(args);
        curlRuns++;
        String context = where + ", " + version + " " + url + ": " + response;
        assertEquals(status, response.status(), context);
        assertEquals(version.equals("--http1.1") ? "1.1" : "2", response.httpVersion(), context);
        assertTrue(response.body().contains(bodyPart), context + " (expected '" + bodyPart + "')");
        assertFalse(response.body().contains(SECRET), context);
    }

    /** Appends {@code security.phase = 6} by an atomic rename and waits until ready.json shows it. */
    private static void moveToPhase6(ClusterNode node) throws Exception {
        Path next = node.config().resolveSibling(node.config().getFileName() + ".next");
        Files.writeString(next, Files.readString(node.config()) + "\nsecurity.phase = 6\n");
        Files.move(next, node.config(), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Path readyFile = node.dataDir().resolve("ready.json");
        Awaitility.await(node.name() + " at phase 6").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> Files.isRegularFile(readyFile) && ReadyFile.read(readyFile).phase() == 6);
    }

    /**
     * SIGTERM while a gRPC health Watch is open on the node's health listener: the node stops accepting calls but
     * waits for that one (up to the grace). Meanwhile the operator endpoints still answer, 503 on /readyz and
     * /healthz; once the Watch ends the node exits, long before its grace.
     */
    private void answers503WhileStopping(ClusterNode node, ReadyFile ready) throws Exception {
        String where = node.kind() + " " + node.name() + " while stopping";
        String tls = "https://" + ready.listeners().get("http-tls");
        String health = "http://" + ready.listeners().get("http-health");
        String grpcHealth = ready.listeners().get("health");
        ManagedChannel channel = NettyChannelBuilder.forTarget(grpcHealth).usePlaintext().build();
        try {
            java.util.Iterator<HealthCheckResponse> watch = HealthGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(120, TimeUnit.SECONDS).watch(HealthCheckRequest.getDefaultInstance());
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, watch.next().getStatus(), where);
            expectAnswer(where + " (before)", 200, "ready", "--http2", tls + "/readyz", certificate("admin", "admin-1"));
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
                try {
                    return node.stop(Duration.ofSeconds(150));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            // The stop has begun once the Watch reports it.
            assertEquals(HealthCheckResponse.ServingStatus.NOT_SERVING, watch.next().getStatus(), where);
            for (String version : List.of("--http1.1", "--http2")) {
                String h2c = version.equals("--http2") ? "--http2-prior-knowledge" : version;
                expectAnswer(where, 503, "not ready", version, tls + "/readyz", certificate("admin", "admin-1"));
                expectAnswer(where, 503, "NOT_SERVING", version, tls + "/healthz", certificate("admin", "admin-1"));
                expectAnswer(where, 503, "NOT_SERVING", h2c, health + "/healthz", List.of());
            }
            assertFalse(Files.exists(node.dataDir().resolve("ready.json")), where + ": ready.json removed");
            assertFalse(exit.isDone(), where + ": the node waits for the call in flight");
            channel.shutdownNow();
            int code = exit.get(60, TimeUnit.SECONDS);
            // 143 is the JVM's own exit status after SIGTERM once its shutdown hooks (the graceful stop) ran.
            assertTrue(code == 0 || code == 143, where + ": exit " + code + "\n" + node.output());
            assertTrue(node.output().contains("node '" + node.name() + "' stopped"), where + ": " + node.output());
        } finally {
            channel.shutdownNow();
        }
    }

    private void checkPhase(Step step, ReadyFile ready) throws Exception {
        String tls = "https://" + ready.listeners().get("http-tls");
        if (ready.listeners().containsKey("http-plaintext")) {
            plaintextAddress = ready.listeners().get("http-plaintext");
        }
        assertEquals(step.plaintextOpen(), ready.listeners().containsKey("http-plaintext"), step.name()
                + ": ready.json lists http-plaintext exactly while the phase allows plaintext");
        String plaintext = plaintextAddress;
        String health = "http://" + ready.listeners().get("http-health");
        Map<String, Long> before = calls(step, tls);
        expectedCalls.clear();

        for (String version : List.of("--http1.1", "--http2")) {
            for (String path : List.of("/metrics", "/readyz")) {
                request(step, "admin " + path, adminExpect(step), principalOf(step, ADMIN), transportOf(step, true),
                        "none", "ADMIN_READ", version, tls + path, certificate("admin", "admin-1"));
                for (String[] other : new String[][] {{"client", "client-1"}, {"edge", "edge-1"}}) {
                    request(step, other[0] + " " + path, nonAdminExpect(step),
                            principalOf(step, "spiffe://" + DOMAIN + "/" + other[0] + "/" + other[1]),
                            transportOf(step, true), "none", "ADMIN_READ", version, tls + path,
                            certificate(other[0], other[1]));
                }
            }
            request(step, "no certificate", noCertificateExpect(step), ANONYMOUS, "http-tls", "none", "ADMIN_READ", version,
                    tls + "/metrics", trustOnly());
            request(step, "token, no certificate", tokenOverTlsExpect(step), ANONYMOUS, "http-tls", "token", "ADMIN_READ",
                    version, tls + "/metrics", withToken(trustOnly()));
            request(step, "admin /healthz (HEALTH: anyone)", new Expect(200, "allow"), principalOf(step, ADMIN),
                    transportOf(step, true), "none", "HEALTH", version, tls + "/healthz", certificate("admin", "admin-1"));
            String h2c = version.equals("--http2") ? "--http2-prior-knowledge" : version;
            request(step, "plaintext, nothing", plaintextExpect(step, false), ANONYMOUS, "http-plaintext", "none",
                    "ADMIN_READ", h2c, "http://" + plaintext + "/metrics", List.of());
            request(step, "plaintext, token", plaintextExpect(step, true), ANONYMOUS, "http-plaintext", "token",
                    "ADMIN_READ", h2c, "http://" + plaintext + "/metrics", withToken(List.of()));

            Curl.Response healthz = curl(h2c, health + "/healthz");
            assertEquals(200, healthz.status(), step.name() + ": http-health " + healthz);
            assertEquals("SERVING", healthz.body().strip(), step.name() + ": http-health body");
            assertEquals(version.equals("--http2") ? "2" : "1.1", healthz.httpVersion(), step.name() + ": " + healthz);
            for (String other : List.of("/metrics", "/readyz", "/")) {
                Curl.Response refused = curl(h2c, health + other);
                assertEquals(404, refused.status(), step.name() + ": http-health serves only /healthz, not " + other);
            }
        }
        if (step.certificatesAsked()) {
            request(step, "admin, unknown path", new Expect(404, "deny"), ADMIN, "http-mtls", "none", "UNKNOWN", "--http2",
                    tls + "/debug/pprof", certificate("admin", "admin-1"));
            List<String> post = new ArrayList<>(List.of("-X", "POST"));
            post.addAll(certificate("admin", "admin-1"));
            request(step, "admin, POST", new Expect(405, "deny"), ADMIN, "http-mtls", "none", "UNKNOWN", "--http1.1",
                    tls + "/metrics", post);
        }

        Map<String, Long> after = calls(step, tls);
        expect(metricsReaderKey(step), 1);
        Map<String, Long> delta = new TreeMap<>();
        after.forEach((key, count) -> {
            long difference = count - before.getOrDefault(key, 0L);
            if (difference != 0) {
                delta.put(key, difference);
            }
        });
        assertEquals(expectedCalls, delta, step.name() + ": audit counters in /metrics vs the HTTP calls just made");
    }

    // ---- what each phase allows (design.md sections 3 and 4) ----

    /** Certificates are not asked for before phase 2, so curl sends none and the token rule refuses it. */
    private static Expect adminExpect(Step step) {
        return step.certificatesAsked() ? new Expect(200, "allow") : new Expect(401, "deny");
    }

    /** Client and edge: authorization off until 4, audited in 4, enforced from 4 (enforce). */
    private static Expect nonAdminExpect(Step step) {
        if (!step.certificatesAsked()) {
            return new Expect(401, "deny");
        }
        if (step.authorizationOff()) {
            return new Expect(200, "allow");
        }
        return step.phase() == 4 && !step.enforce() ? new Expect(200, "would-deny") : new Expect(403, "deny");
    }

    private static Expect noCertificateExpect(Step step) {
        return step.certificatesRequired() ? Expect.NO_ANSWER : new Expect(401, "deny");
    }

    /** A token opens ADMIN_READ only while no certificate could be used (phases 0, 1). */
    private static Expect tokenOverTlsExpect(Step step) {
        if (step.certificatesRequired()) {
            return Expect.NO_ANSWER;
        }
        return step.certificatesAsked() ? new Expect(403, "deny") : new Expect(200, "allow");
    }

    private static Expect plaintextExpect(Step step, boolean token) {
        if (!step.plaintextOpen()) {
            return Expect.NO_ANSWER;
        }
        if (!token) {
            return new Expect(401, "deny");
        }
        return step.certificatesAsked() ? new Expect(403, "deny") : new Expect(200, "allow");
    }

    private static String principalOf(Step step, String spiffeId) {
        return step.certificatesAsked() ? spiffeId : ANONYMOUS;
    }

    private static String transportOf(Step step, boolean certificateOffered) {
        return step.certificatesAsked() && certificateOffered ? "http-mtls" : "http-tls";
    }

    // ---- requests ----

    private void request(Step step, String who, Expect expect, String principal, String transport, String credential,
            String scope, String version, String url, List<String> credentials) throws Exception {
        List<String> args = new ArrayList<>(credentials);
        args.add(version);
        args.add(url);
        Curl.Response response = Curl.run(args);
        curlRuns++;
        String context = step.name() + ", " + who + ", " + version + " " + url + ": " + response;
        if (expect.status() == 0) {
            assertEquals(0, response.status(), context);
            boolean refusedConnection = url.startsWith("http://");
            assertTrue(refusedConnection ? response.exitCode() == 7 : response.exitCode() != 0,
                    context + " (expected " + (refusedConnection ? "a refused connection" : "a refused handshake") + ")");
            return;
        }
        assertEquals(expect.status(), response.status(), context);
        assertEquals(version.equals("--http1.1") ? "1.1" : "2", response.httpVersion(), context + " (negotiated version)");
        if (expect.status() == 200 && url.endsWith("/metrics")) {
            assertTrue(response.body().contains("# TYPE gitward_calls_total counter"), context);
        }
        if (expect.status() == 200 && url.endsWith("/readyz")) {
            assertEquals("ready", response.body().strip(), context);
        }
        if (expect.status() >= 400) {
            assertFalse(response.body().contains("Bearer"), context
                    + " (a refusal must not echo credentials)");
        }
        expect(key(principal, transport, credential, scope, expect.decision()), 1);
    }

    private Curl.Response curl(String version, String url) throws Exception {
        curlRuns++;
        return Curl.run(List.of(version, url));
    }

    /** The audit counters of HTTP calls, read by whoever may read /metrics in this phase. */
    private Map<String, Long> calls(Step step, String tls) throws Exception {
        List<String> args = new ArrayList<>(step.certificatesAsked() ? certificate("admin", "admin-1")
                : withToken(trustOnly()));
        args.add("--http2");
        args.add(tls + "/metrics");
        Curl.Response response = Curl.run(args);
        curlRuns++;
        assertEquals(200, response.status(), step.name() + ": reading /metrics: " + response);
        Map<String, Long> calls = new TreeMap<>();
        Matcher matcher = CALLS.matcher(response.body());
        while (matcher.find()) {
            calls.put(matcher.group(1), Long.parseLong(matcher.group(2)));
        }
        return calls;
    }

    private static String metricsReaderKey(Step step) {
        return step.certificatesAsked() ? key(ADMIN, "http-mtls", "none", "ADMIN_READ", "allow")
                : key(ANONYMOUS, "http-tls", "token", "ADMIN_READ", "allow");
    }

    private static String key(String principal, String transport, String credential, String scope, String decision) {
        return "principal=\"" + principal + "\",transport=\"" + transport + "\",credential=\"" + credential + "\",scope=\""
                + scope + "\",decision=\"" + decision + "\"";
    }

    private void expect(String key, long count) {
        expectedCalls.merge(key, count, Long::sum);
    }

    private List<String> certificate(String role, String name) {
        TestPki.NodeFiles files = pki.files(Role.valueOf(role.toUpperCase(java.util.Locale.ROOT)), name);
        return List.of("--cacert", pki.roots().toString(), "--cert", files.chain().toString(), "--key",
                files.key().toString());
    }

    private List<String> trustOnly() {
        return List.of("--cacert", pki.roots().toString());
    }

    private List<String> withToken(List<String> args) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of("-H", "Authorization: Bearer " + tokens.issue()));
        return all;
    }

    // ---- the node and its phases ----

    private void writeConfig(TestPki.NodeFiles storage, Step step) throws Exception {
        NodeConfig node = NodeConfig.node("storage-1", dir.resolve("data")).identity(pki, storage)
                .path("storage.root", dir.resolve("repos"))
                .path("security.tokens.file", dir.resolve("token"))
                .set("listen.http-tls", NodeConfig.quote("127.0.0.1:0"))
                .set("listen.http-plaintext", NodeConfig.quote("127.0.0.1:0"))
                .set("listen.http-health", NodeConfig.quote("127.0.0.1:0"))
                .set("security.phase", Integer.toString(step.phase()));
        if (step.enforce()) {
            node.set("security.flags.authorization", "enforce");
        }
        // Written next to the config and renamed over it: the node never reads half a file.
        Path next = dir.resolve("storage.conf.next");
        node.write(next);
        Files.move(next, config, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Rewrites the config and waits until the node runs the step (ready.json shows the phase it applied). */
    private ReadyFile moveTo(TestPki.NodeFiles storage, Step step) throws Exception {
        writeConfig(storage, step);
        Awaitility.await(step.name()).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> Files.isRegularFile(readyFile) && ReadyFile.read(readyFile).phase() == step.phase());
        ReadyFile ready = ReadyFile.read(readyFile);
        if (step.enforce()) {
            String url = "https://" + ready.listeners().get("http-tls") + "/readyz";
            Awaitility.await(step.name() + " enforced").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        List<String> args = new ArrayList<>(certificate("client", "client-1"));
                        args.addAll(List.of("--http1.1", url));
                        return Curl.run(args).status() == 403;
                    });
        }
        return ready;
    }
}
