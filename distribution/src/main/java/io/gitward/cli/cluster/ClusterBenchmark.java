package io.gitward.cli.cluster;

import io.gitward.bench.cluster.BenchResults;
import io.gitward.bench.cluster.ClusterLoadGenerator;
import io.gitward.bench.cluster.ClusterReport;
import io.gitward.bench.cluster.LoadPlan;
import io.gitward.bench.cluster.LoadResult;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code gitward bench}: the whole cluster, side by side in one run. Starts a local cluster with the same code as
 * {@code up} ({@link LocalCluster}) three times in one directory — phase 6 with BoringSSL, phase 6 with the JDK
 * provider, phase 0 (plaintext + token) — and nginx as a peer edge in the first; drives each from a load generator
 * in a JVM of its own ({@link ClusterLoadGenerator}, the distribution's classpath); rotates every leaf with the code
 * of {@code gitward rotate} while the rotation scenario asks for it; writes report.md, results.json and SVG charts.
 */
public final class ClusterBenchmark {
    /** Node JVMs for measuring: the full JIT (local clusters use C1 only for a quick start). */
    private static final String NODE_JVM = "-XX:+UseSerialGC -Xms256m -Xmx768m -XX:+ExitOnOutOfMemoryError";
    private static final String LOAD_JVM = "-XX:+UseSerialGC -Xms256m -Xmx768m";
    private static final String BENCH_CLIENT = "bench-client";
    private static final String BENCH_PROXY = "bench-proxy";
    private static final String NGINX = "nginx-1";
    private static final String READ_REPO = "bench/read.git";
    private static final String WRITE_PROXY_REPO = "bench/write-proxy.git";
    private static final String WRITE_DIRECT_REPO = "bench/write-direct.git";
    private static final String MANY_REPO = "bench/many.git";
    private static final int MANY_REFS = 100_000;
    private static final long SEED = 20_261_125L;

    private final boolean quick;
    private final Path out;
    private final boolean pin;
    private final boolean keep;
    private final java.util.Set<String> only;
    private final PrintWriter log;
    private final Map<String, Integer> rotations = new ConcurrentHashMap<>();

    /** {@code only}: the scenario ids to run (s1, s1b, s2 ... s6); empty: all of them. */
    public ClusterBenchmark(boolean quick, Path out, boolean pin, boolean keep, java.util.Set<String> only,
            PrintWriter log) {
        this.quick = quick;
        this.only = java.util.Set.copyOf(only);
        this.out = out.toAbsolutePath().normalize();
        this.pin = pin && Runtime.getRuntime().availableProcessors() >= 2;
        this.keep = keep;
        this.log = log;
    }

    /** One cluster configuration of the run. */
    private record Configuration(String name, int phase, String provider) {
    }

    public int run() throws Exception {
        long started = System.nanoTime();
        Files.createDirectories(out);
        ClusterLayout layout = new ClusterLayout(out.resolve("cluster"));
        if (Files.exists(layout.manifest())) {
            if (!new LocalCluster(layout, silent()).running(ClusterManifest.read(layout)).isEmpty()) {
                throw new ClusterException("a cluster is running in " + layout.dir() + "; stop it with ./gitward down --dir "
                        + layout.dir());
            }
            new LocalCluster(layout, silent()).purge();
        }
        Map<String, String> machine = machine();
        log.printf("gitward bench%s: %s; output in %s%n", quick ? " --quick" : "", machine.get("cpu"), out);
        List<LoadResult> results = new ArrayList<>();
        Map<String, Double> s3Rates = new LinkedHashMap<>();
        try {
            Configuration boring = new Configuration("phase 6, BoringSSL", 6, "boringssl");
            results.add(withCluster(layout, boring, manifest -> planA(layout, manifest)));
            for (LoadResult.Run run : results.get(0).runs()) {
                if (run.group().equals("s3") && run.mode().equals("closed")) {
                    s3Rates.put(Integer.toString(run.inFlight()), openFraction() * run.throughput());
                }
            }
            if (wanted("s3") || wanted("s4")) {
                results.add(withCluster(layout, new Configuration("phase 6, JDK TLS", 6, "jdk"),
                        manifest -> planB(layout, manifest, s3Rates)));
            }
            if (wanted("s3")) {
                results.add(withCluster(layout, new Configuration("phase 0, plaintext + token", 0, "boringssl"),
                        manifest -> planC(layout, manifest, s3Rates)));
            }
        } finally {
            if (Files.exists(layout.manifest())) {
                new LocalCluster(layout, silent()).down();
                if (!keep) {
                    new LocalCluster(layout, silent()).purge();
                }
            }
        }
        if (!keep) {
            // Plans, per-cluster results and nginx's files: only the report, results and charts stay.
            try (java.util.stream.Stream<Path> files = Files.walk(out.resolve("work"))) {
                for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(file);
                }
            }
        }
        machine.put("load average after", Files.readString(Path.of("/proc/loadavg")).strip());
        String command = "./gitward bench" + (quick ? " --quick" : "") + (pin ? " --pin" : "") + (only.isEmpty() ? ""
                : " --only " + String.join(",", new java.util.TreeSet<>(only))) + " --out " + out;
        BenchResults all = new BenchResults(Instant.now().toString(), command, quick, machine, pinning(),
                Math.round((System.nanoTime() - started) / 1e9), variantWarmupMillis(), warmupMillis(), measureMillis(),
                openFraction(),
                rotationInterval().toMillis(), Map.copyOf(rotations), results);
        ClusterReport.write(out, all);
        log.printf("written %s, %s and charts in %.0f s%n", out.resolve("report.md"), out.resolve("results.json"),
                (System.nanoTime() - started) / 1e9);
        return 0;
    }

    @FunctionalInterface
    private interface PlanFor {
        LoadPlan plan(ClusterManifest manifest) throws Exception;
    }

    /** Starts the cluster in {@code configuration}, runs its plan (nginx beside it for the first), stops it. */
    private LoadResult withCluster(ClusterLayout layout, Configuration configuration, PlanFor planFor) throws Exception {
        long t0 = System.nanoTime();
        log.printf("== cluster: %s%n", configuration.name());
        List<String> extra = new ArrayList<>(List.of("security.tls.provider = " + configuration.provider(),
                // Phase 0 checks a token on every call: room for every nonce of a full run (default 200,000).
                "security.tokens.replay-capacity = 5000000"));
        LocalCluster.NodeLaunch launch = new LocalCluster.NodeLaunch(extra, NODE_JVM, pin ? "1" : null);
        LocalCluster cluster = new LocalCluster(layout, log);
        ClusterManifest manifest = cluster.up(new LocalCluster.UpOptions(configuration.phase(), 3,
                LocalCluster.DEFAULT_TRUST_DOMAIN, Duration.ofHours(24), Duration.ofHours(24), launch));
        BenchNginx nginx = null;
        try {
            LocalPki pki = LocalPki.openOrCreate(layout, manifest.trustDomain(), Duration.ofHours(24), Duration.ofHours(24));
            for (Map.Entry<String, Role> identity : Map.of(BENCH_CLIENT, Role.CLIENT, BENCH_PROXY, Role.PROXY, NGINX,
                    Role.PROXY).entrySet()) {
                if (!Files.exists(ClusterLayout.chain(layout.clientDir(identity.getKey())))) {
                    pki.provision(identity.getValue(), identity.getKey(), layout.clientDir(identity.getKey()));
                }
            }
            Map<String, Long> processes = new LinkedHashMap<>();
            for (ClusterManifest.Node node : manifest.nodes()) {
                NodeProcesses.running(layout, node).ifPresent(handle -> processes.put(node.name(), handle.pid()));
            }
            LoadPlan plan = planFor.plan(manifest);
            if (configuration.phase() == 6 && configuration.provider().equals("boringssl")) {
                nginx = BenchNginx.start(out.resolve("work").resolve("nginx"), layout.clientDir(NGINX),
                        manifest.ofKind("storage").get(0).tlsAddress(), pin ? "1" : null);
                processes.put("nginx", nginx.pid());
                plan = withNginx(plan, nginx.port(), manifest);
            }
            plan = new LoadPlan(configuration.name(), plan.quick(), plan.seed(), plan.variantWarmupMillis(),
                    plan.warmupMillis(), plan.measureMillis(), clockTicks(), processes, plan.setup(), plan.groups());
            log.printf("   cluster up in %.1f s; load generator starts%n", (System.nanoTime() - t0) / 1e9);
            return load(layout, plan);
        } finally {
            if (nginx != null) {
                nginx.close();
            }
            cluster.down();
        }
    }

    /** Runs the load generator on {@code plan}; rotates certificates between its signals. */
    private LoadResult load(ClusterLayout layout, LoadPlan plan) throws Exception {
        Path work = out.resolve("work");
        Files.createDirectories(work);
        String slug = plan.cluster().replaceAll("[^A-Za-z0-9]+", "-").toLowerCase(java.util.Locale.ROOT);
        Path planFile = work.resolve("plan-" + slug + ".json");
        Path resultFile = work.resolve("result-" + slug + ".json");
        Files.writeString(planFile, Json.write(plan) + "\n", StandardCharsets.UTF_8);
        Files.deleteIfExists(resultFile);
        List<String> command = new ArrayList<>();
        if (pin) {
            command.addAll(List.of("taskset", "-c", "0"));
        }
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(List.of(LOAD_JVM.split(" ")));
        command.addAll(List.of("-cp", Path.of(System.getProperty("gitward.home", "distribution/target/gitward"), "lib")
                + "/*", ClusterLoadGenerator.class.getName(), planFile.toString(), resultFile.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Rotator rotator = new Rotator(layout);
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.startsWith(ClusterLoadGenerator.SIGNAL + "rotate on ")) {
                    rotator.start(line.substring((ClusterLoadGenerator.SIGNAL + "rotate on ").length()));
                } else if (line.startsWith(ClusterLoadGenerator.SIGNAL + "rotate off")) {
                    rotator.stop();
                } else if (!line.contains(" DEBUG ") && !line.contains(" INFO ")) {
                    log.println(line);
                }
            }
        } finally {
            rotator.stop();
        }
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new ClusterException("the load generator failed (exit " + (process.isAlive() ? "timeout"
                    : process.exitValue()) + ")");
        }
        return Json.mapper().readValue(Files.readString(resultFile), LoadResult.class);
    }

    /** {@code gitward rotate}'s code in a loop: every leaf re-issued, confirmed by every node, then a pause. */
    private final class Rotator {
        private final ClusterLayout layout;
        private final AtomicBoolean running = new AtomicBoolean();
        private Thread thread;

        Rotator(ClusterLayout layout) {
            this.layout = layout;
        }

        void start(String key) {
            AtomicInteger count = new AtomicInteger();
            running.set(true);
            thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        new CertificateRotation(layout, silent()).rotate();
                        rotations.put(key, count.incrementAndGet());
                        long until = System.nanoTime() + rotationInterval().toNanos();
                        while (running.get() && System.nanoTime() < until) {
                            Thread.sleep(50);
                        }
                    } catch (ClusterException e) {
                        log.println("   rotation failed: " + e.getMessage());
                        rotations.merge(key + " failures", 1, Integer::sum);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "bench-rotator");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running.set(false);
            if (thread != null) {
                thread.join(TimeUnit.MINUTES.toMillis(2));
                thread = null;
            }
        }
    }

    // ---- plans -------------------------------------------------------------------------------------------

    private long variantWarmupMillis() {
        return quick ? 800 : 4_000;
    }

    private long warmupMillis() {
        return quick ? 600 : 3_000;
    }

    private long measureMillis() {
        return quick ? 1_500 : 10_000;
    }

    private static double openFraction() {
        return 0.5;
    }

    private Duration rotationInterval() {
        return quick ? Duration.ofSeconds(1) : Duration.ofSeconds(3);
    }

    private LoadPlan.Target proxy(ClusterLayout layout, ClusterManifest manifest, String label, String transport,
            String repository) {
        return target(layout, manifest, label, manifest.proxy().tlsAddress(), transport, BENCH_CLIENT, "proxy",
                manifest.proxy().name(), repository, false, false, false);
    }

    /**
     * Through the proxy, reads served by the repository's primary: {@link #READ_REPO}'s is storage-1, the node
     * nginx and the direct variant call, so the three paths do the same storage work on this machine's shared cores.
     */
    private LoadPlan.Target proxyFromPrimary(ClusterLayout layout, ClusterManifest manifest, String label) {
        List<String> storages = manifest.ofKind("storage").stream().map(ClusterManifest.Node::name).toList();
        String primary = io.gitward.proxy.route.Router.creationPrimary(READ_REPO, storages);
        if (!primary.equals(storages.get(0))) {
            throw new IllegalStateException(READ_REPO + "'s primary is " + primary + ", not " + storages.get(0)
                    + " (the node nginx and the direct variant call): choose another name for the read repository");
        }
        return target(layout, manifest, label, manifest.proxy().tlsAddress(), "boringssl", BENCH_CLIENT, "proxy",
                manifest.proxy().name(), READ_REPO, false, false, true);
    }

    private LoadPlan.Target direct(ClusterLayout layout, ClusterManifest manifest, String label, String transport,
            String repository, boolean newConnection) {
        ClusterManifest.Node storage = manifest.ofKind("storage").get(0);
        return target(layout, manifest, label, storage.tlsAddress(), transport, BENCH_PROXY, "storage", storage.name(),
                repository, newConnection, false, false);
    }

    private LoadPlan.Target target(ClusterLayout layout, ClusterManifest manifest, String label, String address,
            String transport, String identity, String serverRole, String serverName, String repository,
            boolean newConnection, boolean rotating, boolean readFromPrimary) {
        Path dir = layout.clientDir(identity);
        return new LoadPlan.Target(label, address, transport, ClusterLayout.roots(dir).toString(),
                ClusterLayout.crl(dir).toString(), ClusterLayout.chain(dir).toString(), ClusterLayout.key(dir).toString(),
                NodeIdentity.of(manifest.trustDomain(), serverRole, serverName).spiffeId(), null, newConnection,
                repository, rotating, readFromPrimary);
    }

    private boolean wanted(String group) {
        return only.isEmpty() || only.contains(group);
    }

    private LoadPlan plan(List<LoadPlan.Group> all, LoadPlan.Setup setup) {
        List<LoadPlan.Group> groups = all.stream().filter(group -> wanted(group.id())).toList();
        return new LoadPlan("", quick, SEED, variantWarmupMillis(), warmupMillis(), measureMillis(), 100, Map.of(), setup,
                groups);
    }

    private static LoadPlan.Group group(String id, String title, String operation, List<Integer> inFlight,
            List<Integer> openInFlight, Map<String, Double> openRate, List<LoadPlan.Target> variants) {
        return new LoadPlan.Group(id, title, operation, inFlight, !inFlight.isEmpty(), openInFlight, openFraction(),
                openRate, variants, LoadPlan.WARMED_BY_CALLS.contains(id) ? LoadPlan.WARMUP_CALLS : 0);
    }

    /** Phase 6, BoringSSL: scenarios 1, 2, 3 (its BoringSSL share), 4 (BoringSSL), 5 and 6. */
    private LoadPlan planA(ClusterLayout layout, ClusterManifest manifest) {
        LoadPlan.Target viaProxy = proxy(layout, manifest, "via proxy, any replica", "boringssl", READ_REPO);
        LoadPlan.Target viaProxyPrimary = proxyFromPrimary(layout, manifest, "via proxy, primary (storage-1)");
        LoadPlan.Target direct = direct(layout, manifest, "direct (storage-1)", "boringssl", READ_REPO, false);
        List<Integer> both = List.of(1, 16);
        List<LoadPlan.Group> groups = new ArrayList<>();
        groups.add(group("s1", "Accessor FindRef: proxy vs direct vs nginx", "find-ref", both, both, null,
                List.of(viaProxy, viaProxyPrimary, direct)));
        if (!quick) {
            groups.add(group("s1b", "Accessor ReadBlob (1 KiB): proxy vs direct vs nginx", "read-blob", both, both, null,
                    List.of(viaProxy, viaProxyPrimary, direct)));
        }
        groups.add(group("s2", "Mutator UpdateReferences: 3-replica vote via proxy vs one node, no transaction",
                "update-ref", List.of(1), List.of(1), null, List.of(
                        proxy(layout, manifest, "via proxy (3 replicas, voted)", "boringssl", WRITE_PROXY_REPO),
                        direct(layout, manifest, "direct (storage-1, no transaction)", "boringssl", WRITE_DIRECT_REPO,
                                false))));
        List<Integer> s3 = quick ? List.of(16) : both;
        groups.add(group("s3", "Transport: phase 6 BoringSSL vs phase 6 JDK vs phase 0 plaintext + token (FindRef via"
                + " proxy)", "find-ref", s3, s3, null, List.of(proxy(layout, manifest, "phase 6 mTLS, BoringSSL",
                        "boringssl", READ_REPO))));
        groups.add(group("s4", "New connection per call (TCP + TLS 1.3 mTLS handshake + FindRef, direct to storage-1)",
                "find-ref", quick ? List.of(1) : List.of(1, 4), List.of(), null, List.of(direct(layout, manifest,
                        "new connection, BoringSSL", "boringssl", READ_REPO, true))));
        groups.add(group("s5", "ListRefs of a 100,001-reference repository: proxy vs direct", "list-refs", List.of(1),
                List.of(1), null, List.of(proxy(layout, manifest, "via proxy", "boringssl", MANY_REPO),
                        direct(layout, manifest, "direct (storage-1)", "boringssl", MANY_REPO, false))));
        LoadPlan.Target rotating = target(layout, manifest, "via proxy, leaves rotating", manifest.proxy().tlsAddress(),
                "boringssl", BENCH_CLIENT, "proxy", manifest.proxy().name(), READ_REPO, false, true, false);
        groups.add(group("s6", "FindRef via proxy while every leaf rotates vs steady state", "find-ref", List.of(16),
                List.of(16), null, List.of(proxy(layout, manifest, "via proxy, steady", "boringssl", READ_REPO),
                        rotating)));
        LoadPlan.Target setupVia = proxy(layout, manifest, "set-up", "boringssl", READ_REPO);
        List<String> replicas = new ArrayList<>();
        for (ClusterManifest.Node storage : manifest.ofKind("storage")) {
            replicas.add(NodeConfigs.storageRoot(layout.nodeDir(storage.name())).resolve(MANY_REPO).toString());
        }
        return plan(groups, new LoadPlan.Setup(setupVia, LoadPlan.VIRTUAL_STORAGE, List.of(READ_REPO, WRITE_PROXY_REPO,
                WRITE_DIRECT_REPO), MANY_REPO, MANY_REFS, replicas));
    }

    /** Adds the nginx variant to the accessor groups, between the proxy's variants and direct. */
    private LoadPlan withNginx(LoadPlan plan, int port, ClusterManifest manifest) {
        List<LoadPlan.Group> groups = new ArrayList<>();
        for (LoadPlan.Group group : plan.groups()) {
            if (group.id().startsWith("s1")) {
                LoadPlan.Target proxy = group.variants().get(0);
                LoadPlan.Target nginx = new LoadPlan.Target("via nginx (grpc_pass mTLS)", "127.0.0.1:" + port, "boringssl",
                        proxy.roots(), proxy.crl(), proxy.chain(), proxy.key(), NodeIdentity.of(manifest.trustDomain(),
                                "proxy", NGINX).spiffeId(), null, false, proxy.repository(), false, false);
                List<LoadPlan.Target> variants = new ArrayList<>(group.variants());
                variants.add(variants.size() - 1, nginx);
                groups.add(new LoadPlan.Group(group.id(), group.title(), group.operation(), group.inFlight(), group.closed(),
                        group.openInFlight(), group.openFraction(), group.openRate(), variants, group.warmupCalls()));
            } else {
                groups.add(group);
            }
        }
        return new LoadPlan(plan.cluster(), plan.quick(), plan.seed(), plan.variantWarmupMillis(), plan.warmupMillis(),
                plan.measureMillis(), plan.clockTicks(), plan.processes(), plan.setup(), groups);
    }

    /** Phase 6, JDK provider on every node and the client: scenario 3's and 4's JDK shares. */
    private LoadPlan planB(ClusterLayout layout, ClusterManifest manifest, Map<String, Double> s3Rates) {
        List<Integer> s3 = quick ? List.of(16) : List.of(1, 16);
        return plan(List.of(
                group("s3", "", "find-ref", s3, s3, s3Rates, List.of(proxy(layout, manifest, "phase 6 mTLS, JDK", "jdk",
                        READ_REPO))),
                group("s4", "", "find-ref", quick ? List.of(1) : List.of(1, 4), List.of(), null, List.of(direct(layout,
                        manifest, "new connection, JDK", "jdk", READ_REPO, true)))), null);
    }

    /** Phase 0: the proxy's plaintext listener with a legacy token per call. */
    private LoadPlan planC(ClusterLayout layout, ClusterManifest manifest, Map<String, Double> s3Rates) {
        List<Integer> s3 = quick ? List.of(16) : List.of(1, 16);
        Path client = layout.clientDir(LocalIdentities.CLIENT);
        LoadPlan.Target plaintext = new LoadPlan.Target("phase 0 plaintext + token", manifest.proxy().plaintextAddress(),
                "plaintext", null, null, null, null, null, ClusterLayout.token(client).toString(), false, READ_REPO, false,
                false);
        return plan(List.of(group("s3", "", "find-ref", s3, s3, s3Rates, List.of(plaintext))), null);
    }

    // ---- machine -----------------------------------------------------------------------------------------

    private Map<String, String> machine() throws IOException {
        Map<String, String> machine = new LinkedHashMap<>();
        machine.put("nproc", Integer.toString(Runtime.getRuntime().availableProcessors()));
        String cpu = "unknown";
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("model name")) {
                cpu = line.substring(line.indexOf(':') + 1).strip();
                break;
            }
        }
        machine.put("cpu", cpu);
        machine.put("memory", Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\s+", " "));
        machine.put("kernel", Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip());
        machine.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        machine.put("boringssl", io.gitward.security.tls.TlsProvider.BORINGSSL.describe());
        machine.put("nginx", BenchNginx.version());
        machine.put("node jvm", NODE_JVM);
        machine.put("load generator jvm", LOAD_JVM);
        machine.put("load average before", Files.readString(Path.of("/proc/loadavg")).strip());
        return machine;
    }

    private String pinning() {
        return pin ? "taskset: load generator on CPU 0; coordinator, storage nodes, proxy, supervisor and nginx on CPU 1"
                : "not pinned: every process may run on any of the " + Runtime.getRuntime().availableProcessors()
                        + " CPUs (the scheduler's choice); compare CPU seconds per 1,000 calls for cost";
    }

    private static long clockTicks() {
        try {
            Process process = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            process.waitFor(5, TimeUnit.SECONDS);
            return Long.parseLong(text);
        } catch (IOException | InterruptedException | NumberFormatException e) {
            return 100;
        }
    }

    private static PrintWriter silent() {
        return new PrintWriter(Writer.nullWriter());
    }
}
