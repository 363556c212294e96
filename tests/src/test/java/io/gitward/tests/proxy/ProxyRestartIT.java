package io.gitward.tests.proxy;

import static io.gitward.tests.storage.GitCli.git;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.DataLossReportRequest;
import io.gitward.proto.RepositoryStateResponse;
import io.gitward.security.identity.Role;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import io.gitward.tests.storage.GitCli;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy is killed (SIGKILL) in the middle of a write burst and started again: no acknowledged write is lost,
 * the write it was doing is reconciled from its intent, and no replica is ever left marked up to date while its
 * references differ from the primary's.
 */
class ProxyRestartIT {
    private static final List<String> STORAGES = List.of("storage-1", "storage-2", "storage-3");

    @TempDir
    Path dir;

    @Test
    void aProxyKilledMidBurstLosesNoAcknowledgedWrite() throws Exception {
        try (MiniCluster cluster = MiniCluster.create(dir, "6")) {
            cluster.start(STORAGES.stream().map(name -> NodeSpec.replica(name).with("storage.vote-timeout", "5s"))
                    .toArray(NodeSpec[]::new));
            ClusterNode proxy = cluster.start(NodeSpec.proxy("proxy-1", STORAGES.toArray(String[]::new))).get(0);
            ProxyClients clients = new ProxyClients(cluster.channel(proxy, Role.CLIENT, "client-1"),
                    cluster.channel(proxy, Role.ADMIN, "admin-1"));
            String path = "restart/burst.git";
            clients.create(path);

            List<String> acknowledged;
            try (WriteBurst burst = new WriteBurst(clients, path, "burst", 400, 90)) {
                burst.awaitAcknowledged(10, 60);
                proxy.kill();
                int beforeRestart = burst.acknowledged().size();
                proxy.start(Duration.ofSeconds(90));
                burst.awaitAcknowledged(beforeRestart + 10, 60);
                burst.close();
                acknowledged = burst.acknowledged();
            }
            RepositoryStateResponse state = clients.awaitConverged(path, Duration.ofSeconds(60));
            ProxyClients.assertNoWronglyUpToDateReplica(state);
            String last = acknowledged.get(acknowledged.size() - 1);
            for (String storage : STORAGES) {
                Path gitDir = cluster.node(storage).storageRoot().resolve(path);
                for (String commit : acknowledged) {
                    assertEquals(0, GitCli.run(gitDir, "merge-base", "--is-ancestor", commit, "main").exitCode(),
                            "acknowledged commit " + commit + " is on main of " + storage);
                }
                assertTrue(git(gitDir, "log", "--format=%H", "-n", "3", "main").contains(last));
            }
            assertEquals(List.of(), clients.admin().dataLossReport(DataLossReportRequest.getDefaultInstance())
                    .getRepositoriesList(), "no repository is left with an outdated replica");
        }
    }
}
