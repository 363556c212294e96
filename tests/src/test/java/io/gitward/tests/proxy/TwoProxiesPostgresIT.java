package io.gitward.tests.proxy;

import static io.gitward.tests.storage.GitCli.git;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.AuditRow;
import io.gitward.proto.FindRefRequest;
import io.gitward.proto.GetAuditRequest;
import io.gitward.proto.RefServiceGrpc;
import io.gitward.proto.SecurityAdminGrpc;
import io.gitward.proxy.store.JdbcClusterStore;
import io.gitward.proxy.store.RepositoryWrite;
import io.gitward.proxy.store.StoreSettings;
import io.gitward.security.identity.Role;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import io.gitward.tests.proxy.store.TestPostgres;
import io.gitward.tests.security.NodeConfig;
import io.gitward.tests.storage.GitCli;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two proxies of one virtual storage share a real PostgreSQL database: concurrent writes to the same repository
 * through both are serialized per repository, every acknowledged write is on every replica, and the replicas
 * end identical. A reader through the second proxy never sees main go backwards while the first proxy's writes
 * are in flight (it reads from the primary while any proxy's write intent is open).
 */
class TwoProxiesPostgresIT {
    private static final List<String> STORAGES = List.of("storage-1", "storage-2", "storage-3");

    @TempDir
    Path dir;

    @Test
    void concurrentWritesThroughTwoProxiesKeepReplicasIdentical() throws Exception {
        try (TestPostgres postgres = TestPostgres.start(); MiniCluster cluster = MiniCluster.create(dir, "6")) {
            String url = postgres.createDatabase();
            cluster.start(STORAGES.stream().map(name -> NodeSpec.replica(name).with("storage.vote-timeout", "5s"))
                    .toArray(NodeSpec[]::new));
            List<ClusterNode> proxies = cluster.start(shared(NodeSpec.proxy("proxy-1", STORAGES.toArray(String[]::new)),
                    url, postgres), shared(NodeSpec.proxy("proxy-2", STORAGES.toArray(String[]::new)), url, postgres));
            List<ProxyClients> clients = new ArrayList<>();
            for (ClusterNode proxy : proxies) {
                clients.add(new ProxyClients(cluster.channel(proxy, Role.CLIENT, "client-1"),
                        cluster.channel(proxy, Role.ADMIN, "admin-1")));
            }
            String path = "shared/repo.git";
            clients.get(0).create(path);
            clients.get(1).commit(path, "base.txt", "created through proxy-1, first written through proxy-2\n");

            int perProxy = 12;
            List<String> acknowledged = new ArrayList<>();
            List<String> observed = Collections.synchronizedList(new ArrayList<>());
            try (WriteBurst first = new WriteBurst(clients.get(0), path, "via-proxy-1", perProxy, 90);
                    WriteBurst second = new WriteBurst(clients.get(1), path, "via-proxy-2", perProxy, 90)) {
                Thread reader = readWhile(clients.get(1), path, observed, first, second);
                first.join(120);
                second.join(120);
                reader.join(30_000);
                assertEquals(List.of(), first.failures(), "writes through proxy-1");
                assertEquals(List.of(), second.failures(), "writes through proxy-2");
                acknowledged.addAll(first.acknowledged());
                acknowledged.addAll(second.acknowledged());
            }
            assertEquals(2 * perProxy, acknowledged.size());
            for (ProxyClients client : clients) {
                ProxyClients.assertNoWronglyUpToDateReplica(client.awaitConverged(path, Duration.ofSeconds(60)));
            }
            String main = null;
            for (String storage : STORAGES) {
                Path gitDir = cluster.node(storage).storageRoot().resolve(path);
                assertEquals(String.valueOf(2 * perProxy + 1), git(gitDir, "rev-list", "--count", "main").trim(), storage);
                for (String commit : acknowledged) {
                    assertEquals(0, GitCli.run(gitDir, "merge-base", "--is-ancestor", commit, "main").exitCode(),
                            commit + " on " + storage);
                }
                String head = git(gitDir, "rev-parse", "main").trim();
                assertTrue(main == null || main.equals(head), "replicas agree on main");
                main = head;
            }
            assertMonotonic(observed, cluster.node(STORAGES.get(0)).storageRoot().resolve(path));

            // A write intent held open in the shared database (as by another proxy mid-write, or one that died
            // there) sends every read through proxy-2 to the primary, whose storage audit counts them.
            String primary = clients.get(1).state(path).getPrimary();
            StoreSettings database = new StoreSettings(url, postgres.user(), postgres.passwordFile(), 1,
                    Duration.ofSeconds(10));
            try (JdbcClusterStore store = JdbcClusterStore.open(database, MiniCluster.VIRTUAL_STORAGE);
                    RepositoryWrite held = store.beginWrite(path, "test-holder", Duration.ofSeconds(10))) {
                Map<String, Long> before = readsBy(cluster, "proxy-2");
                for (int i = 0; i < 30; i++) {
                    readMain(clients.get(1), path);
                }
                Map<String, Long> after = readsBy(cluster, "proxy-2");
                for (String storage : STORAGES) {
                    assertEquals(storage.equals(primary) ? 30 : 0, after.get(storage) - before.get(storage),
                            "reads through proxy-2 served by " + storage + " (primary " + primary + ")");
                }
                held.abandon();
            }
        }
    }

    private static String readMain(ProxyClients client, String path) {
        return RefServiceGrpc.newBlockingStub(client.client()).withDeadlineAfter(10, TimeUnit.SECONDS)
                .findRef(FindRefRequest.newBuilder().setRepository(ProxyClients.repository(path))
                        .setName("refs/heads/main").build()).getReference().getTarget();
    }

    /** Per storage node: the PUBLIC calls {@code proxy} made to it, from the node's own audit. */
    private static Map<String, Long> readsBy(MiniCluster cluster, String proxy) throws Exception {
        String principal = cluster.spiffeId(Role.PROXY, proxy);
        Map<String, Long> calls = new TreeMap<>();
        for (String storage : STORAGES) {
            calls.put(storage, SecurityAdminGrpc.newBlockingStub(cluster.channel(cluster.node(storage), Role.AUDITOR,
                    "auditor-1")).withDeadlineAfter(10, TimeUnit.SECONDS).getAudit(GetAuditRequest.getDefaultInstance())
                    .getRowsList().stream().filter(row -> row.getPrincipal().equals(principal)
                            && row.getScope().equals("PUBLIC") && row.getDecision().equals("allow"))
                    .mapToLong(AuditRow::getCount).sum());
        }
        return calls;
    }

    /** Reads main through {@code client} until both bursts end, recording each distinct value in order. */
    private static Thread readWhile(ProxyClients client, String path, List<String> observed, WriteBurst... bursts) {
        Thread reader = new Thread(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline && java.util.Arrays.stream(bursts).anyMatch(WriteBurst::running)) {
                String commit = readMain(client, path);
                if (observed.isEmpty() || !observed.get(observed.size() - 1).equals(commit)) {
                    observed.add(commit);
                }
            }
        }, "reader-via-proxy-2");
        reader.start();
        return reader;
    }

    /** Each value read is the same as, or a descendant of, the one read before it. */
    private static void assertMonotonic(List<String> observed, Path gitDir) throws Exception {
        assertTrue(observed.size() > 1, "the reader saw main move: " + observed);
        for (int i = 1; i < observed.size(); i++) {
            assertEquals(0, GitCli.run(gitDir, "merge-base", "--is-ancestor", observed.get(i - 1), observed.get(i))
                    .exitCode(), "main went from " + observed.get(i - 1) + " back to " + observed.get(i));
        }
    }

    private static NodeSpec shared(NodeSpec proxy, String url, TestPostgres postgres) {
        return proxy.with("proxy.store.url", NodeConfig.quote(url)).with("proxy.store.user", NodeConfig.quote(postgres.user()))
                .with("proxy.store.password-file", NodeConfig.quote(postgres.passwordFile().toString()));
    }
}
