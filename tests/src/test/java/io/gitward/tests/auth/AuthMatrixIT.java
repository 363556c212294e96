package io.gitward.tests.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.CreateRepositoryRequest;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.security.authz.MethodRegistry;
import io.gitward.security.identity.Role;
import io.gitward.security.x509.Pem;
import io.gitward.tests.SuiteSummary;
import io.gitward.tests.TestTokens;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import io.gitward.tests.security.NodeConfig;
import io.gitward.tests.security.OutcomeTable;
import io.gitward.tests.security.ProbeCaller;
import io.gitward.tests.security.TestPki;
import io.gitward.tests.storage.Requests;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outcome table (docs/outcome-table.md) against a cluster of real node processes: two storage replicas, a
 * standalone coordinator, a proxy in front of them and a Git gateway, moved through phases 0, 1, 2, 3, 4-audit,
 * 4-enforce, 5 and 6 by rewriting their config files (hot reload, no restart). In every phase every caller row calls
 * every RPC each node serves, directly and over one connection per node, and each call must end as its column's
 * cell says; methods without a scope (a made-up one, gRPC reflection) must be refused; the health listener must
 * answer anyone; a PUBLIC call through the proxy must reach storage as the proxy, never as its caller. First, every
 * method each running listener serves must have a row in the table's rpc-columns section. Mismatches are collected
 * and reported together.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuthMatrixIT {
    private static final String OTHER_DOMAIN = "cell-b.gitward";
    private static final String FORWARDED_HEADER = "x-gitward-client-cert";
    private static final List<String> STORAGES = List.of("storage-1", "storage-2");
    private static final String COORDINATOR = "coordinator-1";
    private static final String PROXY = "proxy-1";
    private static final String GATEWAY = "gateway-1";
    private static final Duration PHASE_TIMEOUT = Duration.ofSeconds(60);
    /** The rows whose PUBLIC calls through the proxy are followed to storage, when the table lets them through. */
    private static final List<String> THROUGH_PROXY_ROWS = List.of("plaintext + token", "cert client",
            "cert edge + forwarded client");

    private MiniCluster cluster;
    private final List<ClusterNode> nodes = new ArrayList<>();
    private final Map<String, Integer> plaintextPorts = new LinkedHashMap<>();
    private final Map<String, Integer> healthPorts = new LinkedHashMap<>();
    private Map<String, MatrixCaller> callers;
    private final Map<String, Map<String, RealRpc>> rpcs = new LinkedHashMap<>();
    private List<X509Certificate> roots;
    private AdminObserver observer;
    private MatrixPlayer player;
    private HealthProbes health;
    private ProxyPath proxyPath;
    private OutcomeTable table;
    private RpcColumns columns;
    private ListenerCompleteness completeness;
    private long started;
    private final ExecutorService pool = Executors.newFixedThreadPool(5, runnable -> {
        Thread thread = new Thread(runnable, "auth-matrix-player");
        thread.setDaemon(true);
        return thread;
    });

    // Figures for the suite summary, recorded even when a test fails.
    private int cells;
    private int calls;
    private final List<String> mismatches = Collections.synchronizedList(new ArrayList<>());
    private final Set<String> rowsPlayed = new TreeSet<>();
    private final Set<String> rowsNotPlayed = new TreeSet<>();
    private final Set<String> phasesWalked = new LinkedHashSet<>();
    private int throughProxyChecks;
    private final List<String> throughProxyProblems = new ArrayList<>();
    private int servedChecked;
    private final Set<String> listenersSeen = new TreeSet<>();
    private final List<String> completenessProblems = new ArrayList<>();
    private int refusedProbes;
    private final List<String> refusalMismatches = Collections.synchronizedList(new ArrayList<>());
    private int healthProbes;
    private final List<String> healthMismatches = new ArrayList<>();
    private boolean listingChecked;
    private boolean walkFinished;

    @BeforeAll
    void startCluster(@TempDir Path dir) throws Exception {
        started = System.nanoTime();
        table = OutcomeTable.load();
        columns = RpcColumns.load();
        completeness = new ListenerCompleteness(columns, allTableColumns(), MethodRegistry.instance());
        // An intermediate CA, as OutcomeTableTest's, so chains are realistic; a second trust domain the nodes trust.
        TestPki pki = TestPki.create(dir.resolve("pki-a"), "cell-a.gitward", true);
        TestPki other = TestPki.create(dir.resolve("pki-b"), OTHER_DOMAIN, false);
        // Issued (and one revoked) before any node loads the CRL.
        callers = MatrixCaller.all(pki, other);
        roots = Pem.readCertificates(pki.roots());
        cluster = MiniCluster.create(dir.resolve("cluster"), "0", pki);
        String otherDomains = "[{trust-domain = " + NodeConfig.quote(OTHER_DOMAIN) + ", roots = "
                + NodeConfig.quote(other.roots().toString()) + ", crls = [" + NodeConfig.quote(other.crl().toString()) + "]}]";
        String domainsKey = "security.trust.other-domains";
        List<NodeSpec> first = new ArrayList<>();
        STORAGES.forEach(name -> first.add(NodeSpec.replica(name).with(domainsKey, otherDomains)));
        first.add(NodeSpec.coordinator(COORDINATOR).with(domainsKey, otherDomains));
        nodes.addAll(cluster.start(first.toArray(NodeSpec[]::new)));
        nodes.addAll(cluster.start(NodeSpec.proxy(PROXY, STORAGES.toArray(String[]::new)).with(domainsKey, otherDomains)
                .with("proxy.coordinator.mode", "standalone").with("proxy.coordinator.name", COORDINATOR)
                .with("proxy.coordinator.tls-address", NodeConfig.quote(cluster.node(COORDINATOR).tlsAddress()))));
        nodes.addAll(cluster.start(NodeSpec.gateway(GATEWAY, PROXY).with(domainsKey, otherDomains)));
        for (ClusterNode node : nodes) {
            // Kept from phase 0: from phase 5 the plaintext listener is closed and must refuse connections there.
            plaintextPorts.put(node.name(), port(node.ready().listeners().get("grpc-plaintext")));
            healthPorts.put(node.name(), port(node.ready().listeners().get("health")));
            rpcs.putIfAbsent(node.kind().wireName(), RealRpcs.of(node.kind().wireName(), MiniCluster.VIRTUAL_STORAGE,
                    MatrixCaller.NAME_PREFIX + "storage", STORAGES.get(0)));
        }
        observer = new AdminObserver(cluster.identity(Role.ADMIN, "matrix-observer"), roots, cluster.tokenSecret());
        player = new MatrixPlayer(columns, rpcs, roots, observer, FORWARDED_HEADER, cluster.tokenSecret());
        health = new HealthProbes(player, rpcs, roots);
        proxyPath = new ProxyPath(player, observer, cluster.node(PROXY), plaintextPorts.get(PROXY),
                STORAGES.stream().map(cluster::node).toList(), rpcs.get("proxy").get("gitward.RefService/FindRef"), roots);
        createPresentRepository();
    }

    @AfterAll
    void stopCluster() {
        double seconds = (System.nanoTime() - started) / 1e9;
        Map<String, String> matrix = new LinkedHashMap<>();
        matrix.put("cells", String.valueOf(cells));
        matrix.put("mismatches", String.valueOf(mismatches.size()));
        matrix.put("phases", String.valueOf(phasesWalked.size()));
        matrix.put("callers", String.valueOf(rowsPlayed.size()));
        matrix.put("rows-sampled-out", String.valueOf(rowsNotPlayed.size()));
        matrix.put("nodes", String.valueOf(nodes.size()));
        matrix.put("through-proxy", throughProxyChecks + "/" + (throughProxyChecks + throughProxyProblems.size()));
        matrix.put("seconds", String.format(java.util.Locale.ROOT, "%.0f", seconds));
        int matrixCases = calls + throughProxyChecks + throughProxyProblems.size();
        // A walk that stopped early (a node that never reached a phase, a failed control) fails the area too.
        int matrixFailed = mismatches.size() + throughProxyProblems.size() + (walkFinished ? 0 : 1);
        SuiteSummary.record("auth-matrix", matrixCases, matrixCases - matrixFailed, matrixFailed, matrix);
        Map<String, String> listeners = new LinkedHashMap<>();
        listeners.put("served-methods", String.valueOf(servedChecked));
        listeners.put("listeners", String.valueOf(listenersSeen.size()));
        listeners.put("problems", String.valueOf(completenessProblems.size()));
        listeners.put("refused-probes", String.valueOf(refusedProbes));
        listeners.put("health-probes", String.valueOf(healthProbes));
        int listenerCases = servedChecked + refusedProbes + healthProbes;
        int listenerFailed = completenessProblems.size() + refusalMismatches.size() + healthMismatches.size()
                + (listingChecked && walkFinished ? 0 : 1);
        SuiteSummary.record("listeners", listenerCases, listenerCases - listenerFailed, listenerFailed, listeners);
        pool.shutdownNow();
        if (observer != null) {
            observer.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void everyMethodEachListenerServesHasAColumnAndIsCalledByTheMatrix() throws Exception {
        List<ListenerCompleteness.Served> served = served("0");
        assertEquals(List.of(), completenessProblems, "listener completeness at phase 0");
        // Positive control: the same served methods against the mapping without one storage RPC must be caught.
        List<String> caught = new ListenerCompleteness(columns.without("storage", "gitward.RefService/FindRef"),
                allTableColumns(), MethodRegistry.instance()).problems(served, rpcs);
        assertTrue(caught.stream().anyMatch(problem -> problem.startsWith("storage-1 (storage) listener grpc-tls serves "
                + "gitward.RefService/FindRef, which has no row")), "a method missing from the mapping went unnoticed: "
                + caught);
        listingChecked = true;
    }

    @Test
    @Order(2)
    void everyCellOfTheOutcomeTableHoldsOnRealNodesInEveryPhase() throws Exception {
        assertEquals(List.of("0", "1", "2", "3", "4-audit", "4-enforce", "5", "6"), List.copyOf(table.phases().keySet()));
        PhaseMover mover = new PhaseMover(nodes, observer);
        for (Map.Entry<String, Map<String, Map<String, String>>> phase : table.phases().entrySet()) {
            long phaseStarted = System.nanoTime();
            mover.moveTo(phase.getKey(), PHASE_TIMEOUT);
            phasesWalked.add(phase.getKey());
            awaitProxyForwards(phase.getKey(), phase.getValue());
            served(phase.getKey());
            for (Map.Entry<String, Map<String, String>> row : phase.getValue().entrySet()) {
                MatrixCaller caller = callers.get(row.getKey());
                if (caller == null) {
                    assertTrue(row.getKey().startsWith("bad "), "the table has a caller this test cannot play: "
                            + row.getKey());
                    rowsNotPlayed.add(row.getKey());
                    continue;
                }
                rowsPlayed.add(row.getKey());
                // The nodes are independent (each counts its own handshake failures): play them side by side.
                List<Future<MatrixPlayer.Played>> plays = new ArrayList<>();
                for (ClusterNode node : nodes) {
                    int port = caller.tls() ? node.tlsPort() : plaintextPorts.get(node.name());
                    plays.add(pool.submit(() -> player.play(phase.getKey(), caller, row.getValue(), node, port, mismatches,
                            refusalMismatches)));
                }
                for (Future<MatrixPlayer.Played> play : plays) {
                    MatrixPlayer.Played played = play.get();
                    cells += played.cells();
                    calls += played.calls();
                    refusedProbes += played.refusedProbes();
                }
            }
            playHealth(phase.getKey());
            followThroughProxy(phase.getKey(), phase.getValue());
            System.out.printf("auth matrix: phase %s played in %.1f s%n", phase.getKey(),
                    (System.nanoTime() - phaseStarted) / 1e9);
        }
        Path report = Path.of("target", "auth-matrix-mismatches.txt");
        List<String> all = new ArrayList<>(new TreeSet<>(mismatches));
        all.addAll(new TreeSet<>(refusalMismatches));
        all.addAll(healthMismatches);
        all.addAll(throughProxyProblems);
        all.addAll(completenessProblems);
        Files.createDirectories(report.getParent());
        Files.write(report, all);
        Files.write(report.resolveSibling("auth-matrix-observed.txt"), player.observed());
        System.out.printf("auth matrix: %d calls in %d cells, %d mismatches; %d refusal probes, %d health probes, "
                + "%d through-proxy checks (problems in %s, every call in"
                + " auth-matrix-observed.txt beside it)%n", calls, cells, mismatches.size(), refusedProbes, healthProbes,
                throughProxyChecks, report.toAbsolutePath());
        assertEquals(List.of(), all.subList(0, Math.min(all.size(), 60)), all.size()
                + " problems: cells that differ from docs/outcome-table.md, refusals, health, through-proxy, completeness");
        controlThatADifferingCellIsReported();
        walkFinished = true;
    }

    /**
     * Positive control of the comparison: the last phase's "cert client" row played on the proxy against cells in which
     * the PUBLIC column is flipped must report exactly the proxy's PUBLIC methods, and nothing else.
     */
    private void controlThatADifferingCellIsReported() throws Exception {
        String last = "6";
        Map<String, String> cells = new LinkedHashMap<>(table.phases().get(last).get("cert client"));
        assertEquals(Verdicts.OK, cells.put("proxy PUBLIC", "PERMISSION_DENIED"), "the control flips an OK cell");
        List<String> reported = new ArrayList<>();
        ClusterNode proxy = cluster.node(PROXY);
        player.play(last, callers.get("cert client"), cells, proxy, proxy.tlsPort(), reported, new ArrayList<>());
        assertEquals(columns.methods("proxy", RpcColumns.GRPC).stream().filter(method -> columns.columnOf("proxy",
                "grpc-tls", method).orElseThrow().equals("proxy PUBLIC")).count(), reported.size(), reported.toString());
        assertTrue(reported.stream().allMatch(line -> line.contains("[proxy PUBLIC]: expected PERMISSION_DENIED, got OK")),
                reported.toString());
    }

    /** What every node's listeners serve now, checked for completeness; problems are collected. */
    private List<ListenerCompleteness.Served> served(String phase) throws Exception {
        List<ListenerCompleteness.Served> served = new ArrayList<>();
        Set<String> expectedListeners = phase.startsWith("5") || phase.startsWith("6") ? Set.of("grpc-tls", "health")
                : Set.of("grpc-tls", "grpc-plaintext", "health");
        for (ClusterNode node : nodes) {
            List<ListenerCompleteness.Served> ofNode = observer.served(node);
            Set<String> names = new TreeSet<>();
            ofNode.forEach(listener -> names.add(listener.listener()));
            if (!names.equals(new TreeSet<>(expectedListeners))) {
                completenessProblems.add("phase " + phase + ": " + node.name() + " reports gRPC listeners " + names
                        + " (expected: " + new TreeSet<>(expectedListeners) + ")");
            }
            served.addAll(ofNode);
        }
        for (ListenerCompleteness.Served listener : served) {
            servedChecked += listener.methods().size();
            listenersSeen.add(listener.node() + "/" + listener.listener());
        }
        completeness.problems(served, rpcs).forEach(problem -> completenessProblems.add("phase " + phase + ": " + problem));
        return served;
    }

    private Set<String> allTableColumns() {
        Set<String> all = new HashSet<>();
        table.phases().values().forEach(rows -> rows.values().forEach(row -> all.addAll(row.keySet())));
        return all;
    }

    /** Every plaintext caller (anyone can reach a plaintext listener) on every node's health listener. */
    private void playHealth(String phase) throws Exception {
        for (MatrixCaller caller : callers.values()) {
            if (!caller.tls()) {
                for (ClusterNode node : nodes) {
                    healthProbes += health.play(phase, caller, node, healthPorts.get(node.name()), healthMismatches);
                }
            }
        }
    }

    /**
     * A PUBLIC read through the proxy reaches storage as the proxy: from phase 2, where the proxy presents its
     * certificate, storage records the proxy's identity; before, nobody has one and storage records a token caller
     * (the caller's own token never leaves the proxy). The proxy records the caller, or behind an edge the forwarded
     * client.
     */
    private void followThroughProxy(String phase, Map<String, Map<String, String>> rows) throws Exception {
        boolean identities = !phase.equals("0") && !phase.equals("1");
        String client = cluster.spiffeId(Role.CLIENT, MatrixCaller.NAME_PREFIX + "client");
        for (String rowName : THROUGH_PROXY_ROWS) {
            if (!Verdicts.OK.equals(rows.get(rowName).get("proxy PUBLIC"))) {
                continue;
            }
            List<String> atProxy = switch (rowName) {
                case "plaintext + token" -> List.of("anonymous@127.0.0.1", "token");
                case "cert client" -> List.of(client, "none");
                default -> List.of(client, "forwarded");
            };
            List<String> atStorage = identities ? List.of(cluster.spiffeId(Role.PROXY, PROXY))
                    : List.of("anonymous@127.0.0.1", "token");
            String problem = proxyPath.follow(callers.get(rowName), atProxy, atStorage);
            if (problem == null) {
                throughProxyChecks++;
            } else {
                throughProxyProblems.add("phase " + phase + " | " + rowName + " | through the proxy: " + problem);
            }
        }
    }

    /**
     * After a phase change the proxy's connections to storage follow the new phase; the matrix starts once a caller
     * the phase admits reads through the proxy again.
     */
    private void awaitProxyForwards(String phase, Map<String, Map<String, String>> rows) throws Exception {
        String rowName = Verdicts.OK.equals(rows.get("cert client").get("proxy PUBLIC")) ? "cert client"
                : "tls, no cert + token";
        MatrixCaller caller = callers.get(rowName);
        RealRpc exists = rpcs.get("proxy").get("gitward.RepositoryService/RepositoryExists");
        ClusterNode proxy = cluster.node(PROXY);
        Status[] last = {null};
        try {
            Awaitility.await().atMost(PHASE_TIMEOUT).pollInterval(Duration.ofMillis(200)).until(() -> {
                ManagedChannel channel = ProbeCaller.channel(proxy.tlsPort(), true, caller.identity(), roots,
                        caller.provider());
                try {
                    last[0] = player.call(channel, caller, exists.method(), exists.type(), exists.request(), false)
                            .status();
                } finally {
                    channel.shutdownNow();
                }
                return last[0].isOk();
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("phase " + phase + ": '" + rowName + "' cannot read through the proxy within "
                    + PHASE_TIMEOUT + " (last: " + last[0] + ")", e);
        }
    }

    /** The repository the matrix's reads name, made through the proxy at phase 0 by a token caller. */
    private void createPresentRepository() throws Exception {
        ManagedChannel channel = ProbeCaller.channel(cluster.node(PROXY).tlsPort(), true, null, roots,
                io.netty.handler.ssl.SslProvider.OPENSSL);
        try {
            RepositoryServiceGrpc.newBlockingStub(channel).withCallCredentials(TestTokens.bearer(cluster.tokenSecret()))
                    .withDeadlineAfter(60, TimeUnit.SECONDS).createRepository(CreateRepositoryRequest.newBuilder()
                            .setRepository(Requests.repository(MiniCluster.VIRTUAL_STORAGE, RealRpcs.PRESENT)).build());
        } finally {
            channel.shutdownNow();
        }
    }

    private static int port(String address) {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }
}
