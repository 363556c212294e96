package io.gitward.tests.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gitward.proto.FindRefRequest;
import io.gitward.proto.RefServiceGrpc;
import io.gitward.proto.Repository;
import io.gitward.security.identity.Role;
import io.gitward.security.x509.Pem;
import io.gitward.tests.SuiteSummary;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import io.gitward.tests.proxy.ProxyClients;
import io.gitward.tests.security.Curl;
import io.gitward.tests.security.ProbeCaller;
import io.gitward.tests.security.TestPki;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Design.md section 8 under attack, on real node processes at phase 6 (a storage node and the proxy in front of
 * it). An authenticated client measures a closed loop of cheap calls (FindRef through the proxy, and on the storage
 * node with the proxy's certificate) in quiet periods before and after, and for {@link #ATTACK} while peers flood
 * every listener: slowloris connections that never finish their TLS handshake or HTTP/2 preface, slow drips that
 * keep a request head or a ping-only HTTP/2 connection alive, complete handshakes without a certificate or with one
 * from another CA, HTTP/2 rapid reset (CVE-2023-44487) on gRPC, the gRPC health listener and the HTTP operator
 * listeners (h2 and h2c; over TLS with a valid certificate, the only way to reach HTTP/2 there at phase 6), and
 * messages and header blocks beyond the limits. Meanwhile an authenticated client keeps opening new connections.
 *
 * <p>It asserts that the nodes stay up (same process, health SERVING, /readyz 200), that no client call fails,
 * that the client's p99 stays within {@link #FACTOR} times the quiet p99 (or {@link #FLOOR_MS} above it, whichever
 * is larger; the median within {@link #MEDIAN_FACTOR} times: on this shared 2-core machine the attacker, the client
 * and the nodes compete for the same cores), and that each limit acted: every rapid-reset connection ended by the
 * node (with GOAWAY ENHANCE_YOUR_CALM as far as the attacker could read it), every slowloris and slow-drip
 * connection closed by the node, every refused peer refused, every oversized request answered RESOURCE_EXHAUSTED /
 * 431 / GOAWAY, new authenticated connections served, and the nodes' own counters saying so. The positive control:
 * the same attacks against grpc-java servers with its defaults (in the test JVM) succeed, so the attacker's
 * measurements can tell protected from unprotected.
 */
class LimitsIT {
    private static final String REPO = "limits/loop.git";
    private static final Duration WARM_UP = Duration.ofSeconds(3);
    private static final Duration BASELINE = Duration.ofSeconds(8);
    private static final Duration ATTACK = Duration.ofSeconds(18);
    /** Half the default: short enough to watch slowloris connections end, long enough for a starved handshake. */
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);
    private static final int MAX_CONNECTIONS = 200;
    private static final int MAX_RST = 50;
    /** Pairs per rapid-reset connection: four times the allowance. */
    private static final int PAIRS = 4 * MAX_RST;
    private static final int MESSAGE_BYTES = 1 << 20;
    private static final int METADATA_BYTES = 16_384;
    /**
     * The stated bound: p99 under attack at most FACTOR times the quiet p99 ... Measured here: 1.4x to 6x in most
     * runs, up to 19x when other work on this 2-core machine starved every process during the attack window.
     */
    private static final double FACTOR = 20;
    /** ... or this many milliseconds above it, whichever is larger (quiet p99s are a few milliseconds here). */
    private static final double FLOOR_MS = 150;
    /** And the median, which such spikes hardly move, at most this factor of the quiet median (plus 2 ms). */
    private static final double MEDIAN_FACTOR = 5;
    /** Rapid-reset connections started per second on each target (each one's pairs go as fast as they can). */
    private static final double RESET_CONNECTIONS_PER_SECOND = 2;
    /** Complete TLS handshakes per second on each target that must refuse them. */
    private static final double REFUSED_HANDSHAKES_PER_SECOND = 5;
    private static final String FIND_REF = "/gitward.RefService/FindRef";
    private static final String HEALTH_CHECK = "/grpc.health.v1.Health/Check";

    @TempDir
    Path dir;

    private final Checks checks = new Checks();

    private static NodeSpec limited(NodeSpec spec) {
        return spec.with("listen.http-tls", "\"127.0.0.1:0\"").with("listen.http-health", "\"127.0.0.1:0\"")
                .with("security.limits.handshake-timeout", HANDSHAKE_TIMEOUT.toSeconds() + "s")
                .with("security.limits.max-connections", Integer.toString(MAX_CONNECTIONS))
                .with("security.limits.max-rst-frames", Integer.toString(MAX_RST))
                .with("security.limits.rst-window", "10s")
                .with("security.limits.max-inbound-message-bytes", Integer.toString(MESSAGE_BYTES))
                .with("security.limits.max-inbound-metadata-bytes", Integer.toString(METADATA_BYTES))
                .with("security.limits.idle-timeout", "3s");
    }

    /**
     * The proxy's production health-check settings (MiniCluster tightens them for failover tests): on this shared
     * machine a starved storage node must not look dead after 400 ms.
     */
    private static NodeSpec productionHealthChecks(NodeSpec proxy) {
        return proxy.with("proxy.health.interval", "1s").with("proxy.health.failures", "3");
    }

    @Test
    void unauthenticatedFloodsLeaveTheNodesServingAndTheClientWithinItsBound() throws Exception {
        long started = System.nanoTime();
        ExecutorService pool = Executors.newCachedThreadPool();
        try (MiniCluster cluster = MiniCluster.create(dir, "6")) {
            ClusterNode storage = cluster.start(limited(NodeSpec.replica("storage-1"))).get(0);
            ClusterNode proxy = cluster.start(productionHealthChecks(limited(NodeSpec.proxy("proxy-1", "storage-1"))))
                    .get(0);
            Map<ClusterNode, Long> pids = Map.of(storage, storage.pid(), proxy, proxy.pid());
            ManagedChannel client = cluster.channel(proxy, Role.CLIENT, "client-1");
            ManagedChannel asProxy = cluster.channel(storage, Role.PROXY, "proxy-1");
            ProxyClients clients = new ProxyClients(client, cluster.channel(proxy, Role.ADMIN, "admin-1"));
            clients.create(REPO);
            clients.commit(REPO, "README.md", "hello\n");
            Repository repository = ProxyClients.repository(REPO);

            List<LatencyLoop> loops = List.of(new LatencyLoop("client->proxy", () -> findRef(client, repository)),
                    new LatencyLoop("proxy-cert->storage", () -> findRef(asProxy, repository)));
            measure(pool, loops, WARM_UP);
            List<LatencyLoop.Period> baseline = measure(pool, loops, BASELINE);
            Map<ClusterNode, NodeMetrics> before = Map.of(storage, metrics(cluster, storage), proxy, metrics(cluster, proxy));

            Attack attack;
            List<LatencyLoop.Period> attacked;
            try (UnprotectedServers control = UnprotectedServers.start(cluster.identity(Role.STORAGE, "storage-1"))) {
                attack = new Attack(cluster, storage, proxy, repository, control, dir.resolve("other-ca"));
                long until = System.nanoTime() + ATTACK.toNanos();
                List<Future<?>> attackers = attack.start(pool, until);
                attacked = measure(pool, loops, ATTACK);
                for (Future<?> attacker : attackers) {
                    attacker.get(120, TimeUnit.SECONDS);
                }
                attack.flood.drain(attack.nodeFloodTargets(), System.nanoTime()
                        + HANDSHAKE_TIMEOUT.plusSeconds(8).toNanos());
                attack.close();
            }
            Map<ClusterNode, NodeMetrics> after = Map.of(storage, metrics(cluster, storage), proxy, metrics(cluster, proxy));
            // The machine is shared: the reference is the worse of the quiet periods before and after the attack.
            List<LatencyLoop.Period> baselineAfter = measure(pool, loops, BASELINE);

            int restarts = checkNodesUp(cluster, pids);
            checkClient(baseline, baselineAfter, attacked);
            checkRapidReset(attack);
            checkSlowloris(attack);
            checkRefusals(attack);
            checkOversize(attack);
            checkFreshConnections(attack);
            checkCounters(attack, before, after, storage, proxy);

            after.forEach((node, metrics) -> metrics.text().lines().filter(line -> line.startsWith("gitward_limit")
                    || line.startsWith("gitward_tls_handshake") || line.startsWith("gitward_open"))
                    .forEach(line -> System.out.println("LimitsIT " + node.name() + " " + line)));
            report(baseline, baselineAfter, attacked, attack, after, storage, proxy, restarts, started);
            assertEquals(List.of(), checks.failures(), "limits under attack");
        } finally {
            pool.shutdownNow();
        }
    }

    /** The attackers, their targets and what each recorded. */
    private static final class Attack implements AutoCloseable {
        final List<RapidReset> protectedResets = new ArrayList<>();
        final RapidReset noCertificateReset;
        final RapidReset controlReset;
        final List<HandshakeRefusals> refusals = new ArrayList<>();
        final ConnectionFlood flood;
        final ConnectionFlood.Target controlFlood;
        final OversizeProbes oversize = new OversizeProbes();
        final List<FreshConnections> fresh = new ArrayList<>();
        final SlowDrip drip;
        private final Endpoint storageTls;
        private final Endpoint storageHealth;
        private final Endpoint httpHealth;
        private final ManagedChannel asProxy;
        private final ManagedChannel client;
        private final ManagedChannel healthChannel;
        private final Repository repository;

        Attack(MiniCluster cluster, ClusterNode storage, ClusterNode proxy, Repository repository,
                UnprotectedServers control, Path otherCaDir) throws Exception {
            this.repository = repository;
            ProbeCaller.ClientIdentity proxyCert = cluster.identity(Role.PROXY, "proxy-1");
            ProbeCaller.ClientIdentity clientCert = cluster.identity(Role.CLIENT, "client-1");
            ProbeCaller.ClientIdentity adminCert = cluster.identity(Role.ADMIN, "admin-1");
            // Same trust domain, another CA: a certificate that looks right and chains to nothing the node trusts.
            TestPki otherCa = TestPki.create(otherCaDir, MiniCluster.TRUST_DOMAIN, false);
            ProbeCaller.ClientIdentity wrongCa = TestPki.clientIdentity(otherCa.issue(Role.PROXY, "proxy-1"));
            storageTls = Endpoint.tls("storage-1/grpc-tls", address(storage, "grpc-tls"), proxyCert);
            Endpoint proxyTls = Endpoint.tls("proxy-1/grpc-tls", address(proxy, "grpc-tls"), clientCert);
            storageHealth = Endpoint.plaintext("storage-1/health", address(storage, "health"));
            Endpoint httpTls = Endpoint.tls("storage-1/http-tls", address(storage, "http-tls"), adminCert);
            httpHealth = Endpoint.plaintext("storage-1/http-health", address(storage, "http-health"));
            Endpoint controlPlain = Endpoint.plaintext("control/plaintext", control.plaintext());

            protectedResets.add(new RapidReset(storageTls, RapidReset.grpcRequest(storageTls, FIND_REF), PAIRS));
            protectedResets.add(new RapidReset(proxyTls, RapidReset.grpcRequest(proxyTls, FIND_REF), PAIRS));
            protectedResets.add(new RapidReset(storageHealth, RapidReset.grpcRequest(storageHealth, HEALTH_CHECK), PAIRS));
            protectedResets.add(new RapidReset(httpTls, RapidReset.httpGet(httpTls, "/healthz"), PAIRS));
            protectedResets.add(new RapidReset(httpHealth, RapidReset.httpGet(httpHealth, "/healthz"), PAIRS));
            Endpoint anonymous = storageTls.as("storage-1/grpc-tls without certificate", null);
            noCertificateReset = new RapidReset(anonymous, RapidReset.grpcRequest(anonymous, FIND_REF), PAIRS);
            controlReset = new RapidReset(controlPlain, RapidReset.grpcRequest(controlPlain, HEALTH_CHECK), PAIRS);

            refusals.add(new HandshakeRefusals(storageTls.as("storage-1/grpc-tls no certificate", null)));
            refusals.add(new HandshakeRefusals(storageTls.as("storage-1/grpc-tls other CA", wrongCa)));
            refusals.add(new HandshakeRefusals(proxyTls.as("proxy-1/grpc-tls no certificate", null)));
            refusals.add(new HandshakeRefusals(proxyTls.as("proxy-1/grpc-tls other CA", wrongCa)));
            refusals.add(new HandshakeRefusals(httpTls.as("storage-1/http-tls no certificate", null)));

            controlFlood = new ConnectionFlood.Target("control/tls", control.tls(), ConnectionFlood.Opening.NOTHING, 10);
            // storage-1's TLS listeners get 100 unfinished handshakes a second for 5 s each: 500 wanted, 200 slots.
            flood = new ConnectionFlood(List.of(
                    new ConnectionFlood.Target("storage-1/grpc-tls", storageTls.address(), ConnectionFlood.Opening.NOTHING,
                            40),
                    new ConnectionFlood.Target("storage-1/grpc-tls", storageTls.address(),
                            ConnectionFlood.Opening.PARTIAL_CLIENT_HELLO, 40),
                    new ConnectionFlood.Target("proxy-1/grpc-tls", proxyTls.address(),
                            ConnectionFlood.Opening.PARTIAL_CLIENT_HELLO, 40),
                    new ConnectionFlood.Target("storage-1/health", storageHealth.address(),
                            ConnectionFlood.Opening.PARTIAL_PREFACE, 20),
                    new ConnectionFlood.Target("storage-1/http-tls", httpTls.address(), ConnectionFlood.Opening.NOTHING, 20),
                    new ConnectionFlood.Target("storage-1/http-health", httpHealth.address(),
                            ConnectionFlood.Opening.NOTHING, 15),
                    controlFlood), 3000);

            drip = new SlowDrip(List.of(
                    new SlowDrip.Target("storage-1/http-health", httpHealth.address(), SlowDrip.Pattern.HTTP1_HEAD, 10),
                    new SlowDrip.Target("storage-1/http-health", httpHealth.address(), SlowDrip.Pattern.HTTP2_PINGS, 10),
                    new SlowDrip.Target("storage-1/health", storageHealth.address(), SlowDrip.Pattern.HTTP2_PINGS, 10)));

            List<X509Certificate> roots = Pem.readCertificates(cluster.pki().roots());
            fresh.add(new FreshConnections("proxy-cert->storage", () -> ProbeCaller.channel(storage.tlsPort(), true,
                    proxyCert, roots, SslProvider.OPENSSL), channel -> findRef(channel, repository)));
            fresh.add(new FreshConnections("client->proxy", () -> ProbeCaller.channel(proxy.tlsPort(), true, clientCert,
                    roots, SslProvider.OPENSSL), channel -> findRef(channel, repository)));
            // Connected before the attack: the oversized messages are the subject, not a connection made during it.
            asProxy = ProbeCaller.channel(storage.tlsPort(), true, proxyCert, roots, SslProvider.OPENSSL);
            client = ProbeCaller.channel(proxy.tlsPort(), true, clientCert, roots, SslProvider.OPENSSL);
            findRef(asProxy, repository);
            findRef(client, repository);
            healthChannel = ManagedChannelBuilder.forAddress("127.0.0.1", storageHealth.address().getPort())
                    .usePlaintext().build();
        }

        List<Future<?>> start(ExecutorService pool, long until) {
            List<Callable<Void>> tasks = new ArrayList<>();
            for (RapidReset reset : protectedResets) {
                tasks.add(() -> {
                    reset.run(until, RESET_CONNECTIONS_PER_SECOND);
                    return null;
                });
            }
            tasks.add(() -> {
                noCertificateReset.run(until, RESET_CONNECTIONS_PER_SECOND);
                return null;
            });
            tasks.add(() -> {
                controlReset.run(until, 0.5);
                return null;
            });
            for (HandshakeRefusals refusal : refusals) {
                tasks.add(() -> {
                    refusal.run(until, REFUSED_HANDSHAKES_PER_SECOND);
                    return null;
                });
            }
            tasks.add(() -> {
                flood.flood(until);
                return null;
            });
            tasks.add(() -> {
                probeOversize(until);
                return null;
            });
            tasks.add(() -> {
                drip.run(until);
                return null;
            });
            for (FreshConnections connections : fresh) {
                tasks.add(() -> {
                    connections.run(until, 500);
                    return null;
                });
            }
            List<Future<?>> futures = new ArrayList<>();
            tasks.forEach(task -> futures.add(pool.submit(task)));
            return futures;
        }

        private void probeOversize(long until) throws InterruptedException {
            Map<String, String> findRef = RapidReset.grpcRequest(storageTls, FIND_REF);
            Map<String, String> check = RapidReset.grpcRequest(storageHealth, HEALTH_CHECK);
            while (System.nanoTime() < until) {
                oversize.findRefMessage("message 2 MiB proxy-cert->storage", asProxy, repository, 2 * MESSAGE_BYTES);
                oversize.findRefMessage("message 2 MiB client->proxy", client, repository, 2 * MESSAGE_BYTES);
                oversize.rawMessage("message 2 MiB anyone->storage/health", storageHealth, check, 2 * MESSAGE_BYTES);
                oversize.rawHeaders("headers 1 KiB proxy-cert->storage (control)", storageTls, findRef, 1024);
                oversize.rawHeaders("headers 18 KiB proxy-cert->storage", storageTls, findRef, METADATA_BYTES + 2048);
                oversize.rawHeaders("headers 64 KiB proxy-cert->storage", storageTls, findRef, 4 * METADATA_BYTES);
                oversize.rawHeaders("headers 64 KiB anyone->storage/health", storageHealth, check, 4 * METADATA_BYTES);
                oversize.rawHeaders("headers 64 KiB anyone->storage/http-health", httpHealth,
                        RapidReset.httpGet(httpHealth, "/healthz"), 4 * METADATA_BYTES);
                Thread.sleep(500);
            }
        }

        List<ConnectionFlood.Target> nodeFloodTargets() {
            return flood.targets().stream().filter(target -> target != controlFlood).toList();
        }

        long attackerConnections() {
            long connections = flood.targets().stream().mapToLong(target -> target.opened.get()).sum();
            for (RapidReset reset : allResets()) {
                connections += reset.tally().connections.get();
            }
            connections += refusals.stream().mapToLong(refusal -> refusal.attempts.get()).sum();
            connections += drip.targets().stream().mapToLong(target -> target.connections).sum();
            return connections + oversize.total();
        }

        List<RapidReset> allResets() {
            List<RapidReset> all = new ArrayList<>(protectedResets);
            all.add(noCertificateReset);
            all.add(controlReset);
            return all;
        }

        @Override
        public void close() throws Exception {
            flood.close();
            drip.close();
            asProxy.shutdownNow();
            client.shutdownNow();
            healthChannel.shutdownNow();
        }
    }

    /** Returns how many nodes died or restarted. */
    private int checkNodesUp(MiniCluster cluster, Map<ClusterNode, Long> pids) throws Exception {
        int restarts = 0;
        for (Map.Entry<ClusterNode, Long> entry : pids.entrySet()) {
            ClusterNode node = entry.getKey();
            boolean same = node.isAlive() && node.pid() == entry.getValue();
            restarts += same ? 0 : 1;
            checks.check(node.name() + " runs, never restarted", same, "alive=" + node.isAlive() + " pid "
                    + entry.getValue() + " -> " + node.pid());
            ManagedChannel health = ManagedChannelBuilder.forAddress("127.0.0.1", address(node, "health").getPort())
                    .usePlaintext().build();
            try {
                HealthCheckResponse.ServingStatus status = HealthGrpc.newBlockingStub(health)
                        .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus();
                checks.check(node.name() + " health SERVING", status == HealthCheckResponse.ServingStatus.SERVING, status);
            } finally {
                health.shutdownNow();
            }
            TestPki.NodeFiles admin = cluster.pki().files(Role.ADMIN, "admin-1");
            Curl.Response ready = Curl.run(List.of("--cacert", cluster.pki().roots().toString(), "--cert",
                    admin.chain().toString(), "--key", admin.key().toString(),
                    "https://" + node.ready().listeners().get("http-tls") + "/readyz"));
            checks.check(node.name() + " ready (ready.json, /readyz 200)", ready.status() == 200
                    && Files.isRegularFile(node.dataDir().resolve("ready.json")), ready);
        }
        return restarts;
    }

    private void checkClient(List<LatencyLoop.Period> before, List<LatencyLoop.Period> after,
            List<LatencyLoop.Period> attacked) {
        for (int i = 0; i < before.size(); i++) {
            LatencyLoop.Period during = attacked.get(i);
            checks.check(during.loop + ": no failed call", before.get(i).failed == 0 && during.failed == 0
                    && after.get(i).failed == 0, before.get(i).describe() + " / " + during.describe() + " / "
                    + after.get(i).describe());
            double reference = reference(before.get(i), after.get(i));
            double bound = Math.max(FACTOR * reference, reference + FLOOR_MS);
            checks.check(during.loop + ": p99 under attack within the bound", during.calls() > 0
                    && during.p99Millis() <= bound, String.format(Locale.ROOT, "p99 %.1f ms, bound %.1f ms (quiet p99"
                    + " %.1f ms before, %.1f ms after)", during.p99Millis(), bound, before.get(i).p99Millis(),
                    after.get(i).p99Millis()));
            double quietMedian = Math.max(before.get(i).p50Millis(), after.get(i).p50Millis());
            double medianBound = MEDIAN_FACTOR * quietMedian + 2;
            checks.check(during.loop + ": median under attack within the bound", during.p50Millis() <= medianBound,
                    String.format(Locale.ROOT, "p50 %.2f ms, bound %.2f ms (quiet p50 %.2f ms)", during.p50Millis(),
                            medianBound, quietMedian));
        }
    }

    /** The quiet p99 to compare with: the worse of before and after the attack. */
    private static double reference(LatencyLoop.Period before, LatencyLoop.Period after) {
        return Math.max(before.p99Millis(), after.p99Millis());
    }

    private void checkRapidReset(Attack attack) {
        for (RapidReset reset : attack.protectedResets) {
            RapidReset.Tally tally = reset.tally();
            int reached = tally.connections.get() - tally.refused.get();
            // Every connection ended by the node, mostly with a GOAWAY the attacker read: when the node closes with
            // pairs still arriving, the kernel resets the socket and may drop the GOAWAY before it is read.
            checks.check("rapid reset on " + reset.endpoint().name() + " ends with GOAWAY ENHANCE_YOUR_CALM",
                    reached > 0 && tally.refused.get() == 0 && tally.tookEverything.get() == 0
                            && tally.unanswered.get() == 0 && tally.otherGoAway.get() == 0
                            && tally.calmDown.get() + tally.closedWithoutGoAway.get() == reached
                            && tally.calmDown.get() >= 0.5 * reached, tally.describe());
        }
        RapidReset.Tally anonymous = attack.noCertificateReset.tally();
        checks.check("rapid reset without a certificate never reaches HTTP/2", anonymous.connections.get() > 0
                && anonymous.refused.get() + anonymous.closedWithoutGoAway.get() == anonymous.connections.get(),
                anonymous.describe());
        RapidReset.Tally control = attack.controlReset.tally();
        checks.check("control: grpc-java's defaults take every reset", control.tookEverything.get() > 0
                && control.calmDown.get() == 0 && control.otherGoAway.get() == 0
                && control.closedWithoutGoAway.get() == 0, control.describe());
    }

    private void checkSlowloris(Attack attack) {
        for (ConnectionFlood.Target target : attack.nodeFloodTargets()) {
            checks.check("slowloris on " + target.name + " (" + target.opening + ") closed by the node",
                    target.opened.get() > 0 && target.stillOpen == 0
                            && target.closedByNode.get() == target.opened.get() - target.connectFailed.get(),
                    target.describe());
        }
        for (SlowDrip.Target target : attack.drip.targets()) {
            // Alive at first (a drip every second beats a timeout that any traffic resets), then ended by the
            // limit that ignores dribbles: the request-head timeout (HTTP/1.1), no stream for the idle timeout (h2).
            checks.check("slow drip on " + target.name + " (" + target.pattern + ") ended by the node",
                    target.stillOpen == 0 && target.closedByNode.get() == target.connections
                            && target.lived.getMinNonZeroValue() >= 2000
                            && target.lived.getMaxValue() <= HANDSHAKE_TIMEOUT.plusSeconds(5).toMillis(),
                    target.describe());
        }
        ConnectionFlood.Target control = attack.controlFlood;
        checks.check("control: without the node's limit silent connections live 10 s (Netty's default)",
                control.closedByNode.get() == 0 ? control.stillOpen > 0
                        : control.closedAfter.getValueAtPercentile(50) >= 8000, control.describe());
    }

    private void checkRefusals(Attack attack) {
        for (HandshakeRefusals refusal : attack.refusals) {
            checks.check("handshake refused: " + refusal.endpoint().name(), refusal.attempts.get() > 0
                    && refusal.refused.get() == refusal.attempts.get(), refusal.describe());
        }
    }

    /** What each oversize probe may get: the limit's answer; the control is served. */
    private void checkOversize(Attack attack) {
        Map<String, List<String>> allowed = new LinkedHashMap<>();
        allowed.put("message 2 MiB proxy-cert->storage", List.of("RESOURCE_EXHAUSTED"));
        allowed.put("message 2 MiB client->proxy", List.of("RESOURCE_EXHAUSTED"));
        allowed.put("message 2 MiB anyone->storage/health", List.of("HTTP 200 grpc-status 8"));
        allowed.put("headers 1 KiB proxy-cert->storage (control)", List.of("HTTP 200"));
        allowed.put("headers 18 KiB proxy-cert->storage", List.of("HTTP 431"));
        // Far over the limit the node ends the connection; it may close before the GOAWAY is read (see RapidReset).
        allowed.put("headers 64 KiB proxy-cert->storage", List.of("GOAWAY", "HTTP 431", "closed"));
        allowed.put("headers 64 KiB anyone->storage/health", List.of("GOAWAY", "HTTP 431", "closed"));
        allowed.put("headers 64 KiB anyone->storage/http-health", List.of("GOAWAY", "HTTP 431", "closed"));
        Map<String, Map<String, Integer>> outcomes = attack.oversize.outcomes();
        allowed.forEach((probe, answers) -> {
            Map<String, Integer> got = outcomes.getOrDefault(probe, Map.of());
            checks.check("oversize: " + probe, !got.isEmpty() && got.keySet().stream().allMatch(outcome -> answers.stream()
                    .anyMatch(outcome::startsWith)), got);
        });
    }

    private void checkFreshConnections(Attack attack) {
        for (FreshConnections connections : attack.fresh) {
            checks.check("new authenticated connections during the flood: " + connections.describe(),
                    connections.succeeded > 0 && connections.failed == 0, connections.describe());
        }
    }

    private void checkCounters(Attack attack, Map<ClusterNode, NodeMetrics> before, Map<ClusterNode, NodeMetrics> after,
            ClusterNode storage, ClusterNode proxy) {
        NodeMetrics s0 = before.get(storage);
        NodeMetrics s1 = after.get(storage);
        long storageCalm = 0;
        long proxyCalm = 0;
        for (RapidReset reset : attack.protectedResets) {
            if (reset.endpoint().name().startsWith("storage-1")) {
                storageCalm += reset.tally().calmDown.get();
            } else {
                proxyCalm += reset.tally().calmDown.get();
            }
        }
        long storageRapid = delta(s0, s1, limit("rapid_reset"));
        checks.check("storage-1 counted its rapid-reset GOAWAYs", storageRapid >= storageCalm && storageCalm > 0,
                storageRapid + " counted, attacker saw " + storageCalm);
        long proxyRapid = delta(before.get(proxy), after.get(proxy), limit("rapid_reset"));
        checks.check("proxy-1 counted its rapid-reset GOAWAYs", proxyRapid >= proxyCalm && proxyCalm > 0,
                proxyRapid + " counted, attacker saw " + proxyCalm);
        checks.check("storage-1 made room by closing unfinished handshakes",
                delta(s0, s1, limit("pending_handshake_evicted")) > 0, s1.text());
        for (ClusterNode node : List.of(storage, proxy)) {
            long ended = attack.nodeFloodTargets().stream().filter(target -> target.name.startsWith(node.name() + "/")
                    && !target.name.endsWith("health")).mapToLong(target -> target.closedByNode.get()).sum();
            NodeMetrics n0 = before.get(node);
            NodeMetrics n1 = after.get(node);
            long counted = delta(n0, n1, failure("timeout")) + delta(n0, n1, limit("pending_handshake_evicted"))
                    + delta(n0, n1, limit("max_connections")) + delta(n0, n1, limit("idle_timeout"));
            checks.check(node.name() + " counted every unfinished handshake it ended (timeout, evicted, refused, idle)",
                    ended > 0 && counted >= ended, counted + " counted, " + ended + " ended");
        }
        long messages = attack.oversize.outcomes().entrySet().stream()
                .filter(entry -> entry.getKey().startsWith("message") && entry.getKey().contains("storage"))
                .mapToLong(entry -> entry.getValue().entrySet().stream().filter(outcome -> outcome.getKey()
                        .equals("RESOURCE_EXHAUSTED") || outcome.getKey().endsWith("grpc-status 8"))
                        .mapToInt(Map.Entry::getValue).sum()).sum();
        long storageMessages = delta(s0, s1, limit("message_size"));
        checks.check("storage-1 counted every oversized message", storageMessages == messages,
                storageMessages + " counted, " + messages + " sent");
        long noCertificate = attack.refusals.stream().filter(refusal -> refusal.endpoint().name().startsWith("storage-1")
                && refusal.endpoint().identity() == null).mapToLong(refusal -> refusal.refused.get()).sum();
        checks.check("storage-1 counted handshakes without a certificate",
                delta(s0, s1, failure("no_client_certificate")) >= noCertificate, s1.text());
        checks.check("storage-1 counted the slow HTTP/1.1 heads it cut", delta(s0, s1, limit("request_head_timeout"))
                >= dripped(attack, "storage-1/http-health", SlowDrip.Pattern.HTTP1_HEAD), s1.text());
        checks.check("storage-1 counted the HTTP/2 connections it closed for having no stream",
                delta(s0, s1, limit("idle_timeout")) >= dripped(attack, "storage-1/http-health",
                        SlowDrip.Pattern.HTTP2_PINGS), s1.text());
        checks.check("storage-1 connections back to a handful after the flood",
                s1.value("gitward_open_connections") <= 10 && s1.value("gitward_open_probe_connections") <= 10, s1.text());
    }

    private static long dripped(Attack attack, String name, SlowDrip.Pattern pattern) {
        return attack.drip.targets().stream().filter(target -> target.name.equals(name) && target.pattern == pattern)
                .mapToLong(target -> target.closedByNode.get()).sum();
    }

    private static String limit(String name) {
        return "gitward_limit_refusals_total{limit=\"" + name + "\"}";
    }

    private static String failure(String reason) {
        return "gitward_tls_handshake_failures_total{reason=\"" + reason + "\"}";
    }

    private static long delta(NodeMetrics before, NodeMetrics after, String sample) {
        return after.value(sample) - before.value(sample);
    }

    private void report(List<LatencyLoop.Period> baseline, List<LatencyLoop.Period> baselineAfter,
            List<LatencyLoop.Period> attacked, Attack attack, Map<ClusterNode, NodeMetrics> metrics, ClusterNode storageNode,
            ClusterNode proxyNode, int restarts, long started) {
        NodeMetrics storage = metrics.get(storageNode);
        NodeMetrics proxy = metrics.get(proxyNode);
        baseline.forEach(period -> System.out.println("LimitsIT quiet before " + period.describe()));
        attacked.forEach(period -> System.out.println("LimitsIT under attack " + period.describe()));
        baselineAfter.forEach(period -> System.out.println("LimitsIT quiet after  " + period.describe()));
        attack.allResets().forEach(reset -> System.out.println("LimitsIT rapid reset " + reset.endpoint().name() + ": "
                + reset.tally().describe()));
        attack.refusals.forEach(refusal -> System.out.println("LimitsIT refusal " + refusal.describe()));
        attack.flood.targets().forEach(target -> System.out.println("LimitsIT slowloris " + target.describe()));
        attack.fresh.forEach(fresh -> System.out.println("LimitsIT " + fresh.describe()));
        attack.drip.targets().forEach(target -> System.out.println("LimitsIT slow drip " + target.describe()));
        System.out.println("LimitsIT oversize " + attack.oversize.outcomes());
        checks.failures().forEach(failure -> System.out.println("LimitsIT FAILED " + failure));

        Map<String, String> figures = new LinkedHashMap<>();
        figures.put("attacks", "slowloris,slow-drip,no-cert,other-ca,rapid-reset,oversize-message,oversize-headers");
        figures.put("attack_s", Long.toString(ATTACK.toSeconds()));
        figures.put("attacker_connections", Long.toString(attack.attackerConnections()));
        figures.put("resets_sent", Long.toString(attack.allResets().stream().filter(reset -> reset != attack.controlReset)
                .mapToLong(reset -> reset.tally().resetsSent.get()).sum()));
        figures.put("goaway_calm", Long.toString(attack.protectedResets.stream()
                .mapToLong(reset -> reset.tally().calmDown.get()).sum()));
        figures.put("client_calls", Long.toString(attacked.stream().mapToLong(LatencyLoop.Period::calls).sum()));
        figures.put("failed", Long.toString(attacked.stream().mapToLong(period -> period.failed).sum()
                + baseline.stream().mapToLong(period -> period.failed).sum()
                + baselineAfter.stream().mapToLong(period -> period.failed).sum()));
        for (int i = 0; i < baseline.size(); i++) {
            String loop = baseline.get(i).loop.replace("->", "_to_").replace('/', '_');
            double reference = reference(baseline.get(i), baselineAfter.get(i));
            figures.put("p99_quiet_ms." + loop, String.format(Locale.ROOT, "%.1f", reference));
            figures.put("p99_attack_ms." + loop, String.format(Locale.ROOT, "%.1f", attacked.get(i).p99Millis()));
            figures.put("max_attack_ms." + loop, String.format(Locale.ROOT, "%.0f", attacked.get(i).maxMillis()));
            figures.put("factor." + loop, String.format(Locale.ROOT, "%.1f", attacked.get(i).p99Millis()
                    / Math.max(0.001, reference)));
        }
        figures.put("bound", "p99<=max(" + (int) FACTOR + "x,+" + (int) FLOOR_MS + "ms),p50<=" + (int) MEDIAN_FACTOR
                + "x+2ms");
        figures.put("storage_rapid_reset", Long.toString(storage.value(limit("rapid_reset"))));
        figures.put("storage_evicted", Long.toString(storage.value(limit("pending_handshake_evicted"))));
        figures.put("storage_message_size", Long.toString(storage.value(limit("message_size"))));
        figures.put("proxy_rapid_reset", Long.toString(proxy.value(limit("rapid_reset"))));
        figures.put("storage_handshake_timeouts", Long.toString(storage.value(failure("timeout"))));
        figures.put("proxy_handshake_timeouts", Long.toString(proxy.value(failure("timeout"))));
        figures.put("proxy_evicted", Long.toString(proxy.value(limit("pending_handshake_evicted"))));
        figures.put("node_restarts", Integer.toString(restarts));
        figures.put("runtime_s", Long.toString(Duration.ofNanos(System.nanoTime() - started).toSeconds()));
        SuiteSummary.record("limits", checks.count(), checks.count() - checks.failed(), checks.failed(), figures);
    }

    private static List<LatencyLoop.Period> measure(ExecutorService pool, List<LatencyLoop> loops, Duration duration)
            throws Exception {
        long until = System.nanoTime() + duration.toNanos();
        List<Future<LatencyLoop.Period>> futures = new ArrayList<>();
        for (LatencyLoop loop : loops) {
            futures.add(pool.submit(() -> loop.run(until, 1_000_000)));
        }
        List<LatencyLoop.Period> periods = new ArrayList<>();
        for (Future<LatencyLoop.Period> future : futures) {
            periods.add(future.get(duration.toSeconds() + 60, TimeUnit.SECONDS));
        }
        return periods;
    }

    private static NodeMetrics metrics(MiniCluster cluster, ClusterNode node) throws Exception {
        return NodeMetrics.read(cluster.channel(node, Role.ADMIN, "admin-1"));
    }

    private static void findRef(ManagedChannel channel, Repository repository) {
        RefServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .findRef(FindRefRequest.newBuilder().setRepository(repository).setName("refs/heads/main").build());
    }

    private static InetSocketAddress address(ClusterNode node, String listener) {
        String value = node.ready().listeners().get(listener);
        int colon = value.lastIndexOf(':');
        return new InetSocketAddress(value.substring(0, colon), Integer.parseInt(value.substring(colon + 1)));
    }
}
