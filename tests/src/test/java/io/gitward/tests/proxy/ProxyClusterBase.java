package io.gitward.tests.proxy;

import static io.gitward.tests.storage.GitCli.fsck;
import static io.gitward.tests.storage.GitCli.git;
import static io.gitward.tests.storage.GitCli.refs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.gitward.proto.CreateRepositoryFromBundleRequest;
import io.gitward.proto.CreateRepositoryFromBundleResponse;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proto.RepositoryStateResponse;
import io.gitward.security.identity.Role;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import io.gitward.tests.storage.SmartHttpBridge;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.URIish;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A proxy in front of three storage node processes at phase 6, as a client sees it; subclasses choose where the
 * coordinator runs. The shared test drives every streaming kind through the proxy to real replicas.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ProxyClusterBase {
    protected static final List<String> STORAGES = List.of("storage-1", "storage-2", "storage-3");
    protected static final Duration START = Duration.ofSeconds(90);

    @TempDir
    static Path dir;

    protected MiniCluster cluster;
    protected ClusterNode proxy;
    protected ProxyClients clients;

    /** Nodes to start between the storage nodes and the proxy (a standalone coordinator). */
    protected abstract List<NodeSpec> coordinator();

    protected abstract NodeSpec proxySpec();

    @BeforeAll
    void startCluster() throws Exception {
        cluster = MiniCluster.create(dir, "6");
        List<NodeSpec> storages = new ArrayList<>();
        STORAGES.forEach(name -> storages.add(NodeSpec.replica(name).with("storage.vote-timeout", "5s")));
        storages.addAll(coordinator());
        cluster.start(storages.toArray(NodeSpec[]::new));
        proxy = cluster.start(proxySpec()).get(0);
        clients = new ProxyClients(cluster.channel(proxy, Role.CLIENT, "client-1"),
                cluster.channel(proxy, Role.ADMIN, "admin-1"));
    }

    @AfterAll
    void stopCluster() {
        cluster.close();
    }

    protected Path gitDir(String storage, String path) {
        return cluster.node(storage).storageRoot().resolve(path);
    }

    @Test
    @Order(1)
    void everyStreamingKindReachesTheReplicas() throws Exception {
        String path = "cluster/kinds.git";
        clients.create(path);
        STORAGES.forEach(storage -> assertTrue(Files.isDirectory(gitDir(storage, path)), storage + " has " + path));

        // Unary mutator: the same commit on all three, generations and checksums equal.
        String commit = clients.commit(path, "README.md", "hello\n").getCommitId();
        for (String storage : STORAGES) {
            assertEquals(commit, git(gitDir(storage, path), "rev-parse", "main").trim(), storage);
        }
        RepositoryStateResponse state = clients.state(path);
        assertTrue(ProxyClients.converged(state), state.toString());
        assertEquals(1, state.getGeneration());

        // Server streaming.
        assertEquals(List.of("refs/heads/main"), ProxyClusterIT.listRefs(clients, path));

        // Client streaming: a repository from a bundle, on every replica.
        Path bundle = dir.resolve("kinds.bundle");
        git(gitDir(STORAGES.get(0), path), "bundle", "create", bundle.toString(), "--all");
        String imported = "cluster/imported.git";
        assertEquals(1, importBundle(imported, Files.readAllBytes(bundle)).getReferenceCount());
        assertEquals(1, STORAGES.stream().map(storage -> refs(gitDir(storage, imported))).distinct().count());
        assertTrue(ProxyClients.converged(clients.state(imported)));

        // Bidi streaming (upload-pack) and a push (receive-pack, a mutator) with JGit's HTTP client via the proxy.
        try (SmartHttpBridge bridge = SmartHttpBridge.start(clients.client(), MiniCluster.VIRTUAL_STORAGE);
                Git local = Git.init().setDirectory(dir.resolve("client").toFile()).setInitialBranch("main").call()) {
            StoredConfig config = local.getRepository().getConfig();
            config.setInt("protocol", null, "version", 2);
            config.save();
            local.remoteAdd().setName("origin").setUri(new URIish(bridge.url(path))).call();
            local.fetch().setRemote("origin").setRefSpecs(new RefSpec("+refs/heads/*:refs/remotes/origin/*")).call();
            local.checkout().setName("main").setCreateBranch(true).setStartPoint("origin/main").call();
            Files.writeString(dir.resolve("client/pushed.txt"), "pushed through the proxy\n");
            local.add().addFilepattern("pushed.txt").call();
            PersonIdent me = new PersonIdent("Pat Pusher", "pat@example.com");
            String pushed = local.commit().setMessage("push").setAuthor(me).setCommitter(me).call().name();
            PushResult result = local.push().setRemote("origin").setRefSpecs(new RefSpec("main:refs/heads/main")).call()
                    .iterator().next();
            assertEquals(RemoteRefUpdate.Status.OK, result.getRemoteUpdate("refs/heads/main").getStatus(),
                    result.getMessages());
            for (String storage : STORAGES) {
                assertEquals(pushed, git(gitDir(storage, path), "rev-parse", "main").trim(), storage);
                fsck(gitDir(storage, path));
            }
        }
        RepositoryStateResponse after = clients.awaitConverged(path, Duration.ofSeconds(10));
        assertEquals(2, after.getGeneration(), after.toString());
        String content = git(gitDir(STORAGES.get(2), path), "show", "main:pushed.txt");
        assertEquals("pushed through the proxy\n", content);
        assertTrue(new String(Files.readAllBytes(bundle), StandardCharsets.ISO_8859_1).startsWith("# v"));
    }

    private CreateRepositoryFromBundleResponse importBundle(String path, byte[] bundle) throws Exception {
        CompletableFuture<CreateRepositoryFromBundleResponse> result = new CompletableFuture<>();
        StreamObserver<CreateRepositoryFromBundleRequest> requests = RepositoryServiceGrpc.newStub(clients.client())
                .withDeadlineAfter(60, TimeUnit.SECONDS).createRepositoryFromBundle(new StreamObserver<>() {
                    @Override
                    public void onNext(CreateRepositoryFromBundleResponse response) {
                        result.complete(response);
                    }

                    @Override
                    public void onError(Throwable error) {
                        result.completeExceptionally(error);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        for (int offset = 0; offset < bundle.length; offset += 512) {
            CreateRepositoryFromBundleRequest.Builder chunk = CreateRepositoryFromBundleRequest.newBuilder()
                    .setData(ByteString.copyFrom(bundle, offset, Math.min(512, bundle.length - offset)));
            if (offset == 0) {
                chunk.setRepository(ProxyClients.repository(path));
            }
            requests.onNext(chunk.build());
        }
        requests.onCompleted();
        return result.get(60, TimeUnit.SECONDS);
    }
}
