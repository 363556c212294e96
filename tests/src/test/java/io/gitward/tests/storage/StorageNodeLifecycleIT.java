package io.gitward.tests.storage;

import static io.gitward.tests.storage.GitCli.fsck;
import static io.gitward.tests.storage.GitCli.git;
import static io.gitward.tests.storage.GitCli.refs;
import static io.gitward.tests.storage.Requests.commit;
import static io.gitward.tests.storage.Requests.create;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.gitward.proto.CreateRepositoryRequest;
import io.gitward.proto.OperationServiceGrpc;
import io.gitward.proto.PostReceivePackRequest;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proto.SmartHttpServiceGrpc;
import io.gitward.security.identity.Role;
import io.gitward.tests.GitwardProcess;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A storage node process over its life: a push still streaming when the node is told to stop completes before
 * the process exits; a restarted node serves the same repositories; a bad storage section is reported in full
 * before anything binds.
 */
class StorageNodeLifecycleIT {
    @TempDir
    Path dir;

    @Test
    void aPushInFlightAtShutdownCompletesAndSurvivesARestart() throws Exception {
        try (MiniCluster cluster = MiniCluster.create(dir, "5")) {
            ClusterNode node = cluster.start(NodeSpec.storage("storage-1")).get(0);
            ManagedChannel proxy = cluster.channel(node, Role.PROXY, "proxy-1");
            Repository repository = Requests.repository("storage-1", "life/project.git");
            RepositoryServiceGrpc.newBlockingStub(proxy).createRepository(CreateRepositoryRequest.newBuilder()
                    .setRepository(repository).build());
            String base = OperationServiceGrpc.newBlockingStub(proxy).commitFiles(commit(repository, "main", "base",
                    create("a.txt", "a\n")).build()).getCommitId();
            byte[] body = PushBodies.oneCommit(org.eclipse.jgit.lib.ObjectId.fromString(base), "pushed.txt");

            ReceivePackReport report = new ReceivePackReport();
            StreamObserver<PostReceivePackRequest> requests = SmartHttpServiceGrpc.newStub(proxy)
                    .withDeadlineAfter(60, TimeUnit.SECONDS).postReceivePack(report);
            int half = body.length / 2;
            requests.onNext(PostReceivePackRequest.newBuilder().setRepository(repository)
                    .setData(ByteString.copyFrom(body, 0, half)).build());
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> {
                try {
                    return node.stop(Duration.ofSeconds(30));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            // The node is stopping (new calls refused) while this push still has half its data to send.
            Thread.sleep(1_000);
            assertFalse(exit.isDone(), "the node waits for the push in flight");
            requests.onNext(PostReceivePackRequest.newBuilder().setData(ByteString.copyFrom(Arrays.copyOfRange(body, half,
                    body.length))).build());
            requests.onCompleted();
            String result = report.await();
            assertTrue(result.contains("ok refs/heads/main"), result);
            int code = exit.get(30, TimeUnit.SECONDS);
            // 143 is the JVM's own exit status after SIGTERM once its shutdown hooks (our graceful stop) ran.
            assertTrue(code == 0 || code == 143, "exit " + code + "\n" + node.output());
            assertTrue(node.output().contains("storage node 'storage-1' stopped"), node.output());
            Path gitDir = node.storageRoot().resolve("life/project.git");
            String afterPush = refs(gitDir);
            assertTrue(git(gitDir, "ls-tree", "--name-only", "main").contains("pushed.txt"));

            node.restart(Duration.ofSeconds(90));
            ManagedChannel again = cluster.channel(node, Role.PROXY, "proxy-1");
            assertTrue(RepositoryServiceGrpc.newBlockingStub(again).repositoryExists(
                    io.gitward.proto.RepositoryExistsRequest.newBuilder().setRepository(repository).build()).getExists());
            assertEquals(afterPush, refs(gitDir));
            fsck(gitDir);
        }
    }

    @Test
    void aBadStorageSectionIsReportedInFullBeforeBinding() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("a-file"), "x");
        Path config = Files.writeString(dir.resolve("bad.conf"), String.join("\n",
                "node.name = storage-1",
                "node.data-dir = data",
                "storage.root = \"" + notADirectory + "\"",
                "storage.name = \"Not A Name\"",
                "storage.vote-timeout = -1s",
                "storage.receive.max-pack-size = lots",
                "storage.receive.deny-non-fast-forwards = maybe", ""));
        GitwardProcess.Result result = GitwardProcess.run(dir.resolve("bad.log"), Map.of(), Duration.ofSeconds(60), "node",
                "storage", "--config", config.toString());
        assertEquals(2, result.exitCode(), result.output());
        for (String key : java.util.List.of("storage.root", "storage.name", "storage.vote-timeout",
                "storage.receive.max-pack-size", "storage.receive.deny-non-fast-forwards")) {
            assertTrue(result.output().contains(key), key + " is named:\n" + result.output());
        }
        assertFalse(Files.exists(dir.resolve("data/ready.json")));
    }
}
