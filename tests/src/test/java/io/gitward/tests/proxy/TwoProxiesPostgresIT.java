package io.gitward.tests.proxy;

import static io.gitward.tests.storage.GitCli.git;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two proxies of one virtual storage share a real PostgreSQL database: concurrent writes to the same repository
 * through both are serialized per repository, every acknowledged write is on every replica, and the replicas
 * end identical.
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
            try (WriteBurst first = new WriteBurst(clients.get(0), path, "via-proxy-1", perProxy, 90);
                    WriteBurst second = new WriteBurst(clients.get(1), path, "via-proxy-2", perProxy, 90)) {
                first.join(120);
                second.join(120);
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
        }
    }

    private static NodeSpec shared(NodeSpec proxy, String url, TestPostgres postgres) {
        return proxy.with("proxy.store.url", NodeConfig.quote(url)).with("proxy.store.user", NodeConfig.quote(postgres.user()))
                .with("proxy.store.password-file", NodeConfig.quote(postgres.passwordFile().toString()));
    }
}
