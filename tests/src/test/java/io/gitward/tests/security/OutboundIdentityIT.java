package io.gitward.tests.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.CommitFilesRequest;
import io.gitward.proto.CreateRepositoryRequest;
import io.gitward.proto.MaintenanceServiceGrpc;
import io.gitward.proto.OperationServiceGrpc;
import io.gitward.proto.ReplicateFromRequest;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proto.TransactionContext;
import io.gitward.security.identity.Role;
import io.gitward.storage.tx.TransactionHeader;
import io.gitward.tests.GitwardProcess;
import io.gitward.tests.SuiteSummary;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import io.gitward.tests.storage.Requests;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every outbound link of the cluster meets an impostor: a real TLS server holding a VALID certificate of the
 * cluster's CA, but of another identity than the one the caller pinned. Each link is triggered for real (node
 * processes at phase 6, the real CLI): the originating call fails, the caller's log (the CLI's stderr) names the
 * identity it expected and the one it was shown, and the impostor decrypted nothing — no completed handshake,
 * zero application bytes. That is the strict reading of "no request payload": in TLS 1.3 (and 1.2) a client
 * judges the server's certificate before it sends its own Finished, and without it the server can decrypt no
 * application data, so not even the HTTP/2 preface may arrive, let alone a HEADERS frame. Positive control, per
 * link: the same impostor, now presenting the identity the caller expects, does receive an HTTP/2 HEADERS frame
 * from the same trigger — the recorder sees requests when there are any.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OutboundIdentityIT {
    private static final Duration LOG_WAIT = Duration.ofSeconds(20);
    private static final Duration CONTROL_WAIT = Duration.ofSeconds(90);

    @TempDir
    static Path dir;

    private MiniCluster cluster;
    private final AtomicInteger attempt = new AtomicInteger();
    /** Links that passed every check, negative and positive. */
    private final Map<String, String> results = new ConcurrentHashMap<>();
    private final Map<String, Long> refusedBytes = new ConcurrentHashMap<>();
    private final Map<String, Long> controlBytes = new ConcurrentHashMap<>();
    private ImpostorServer storageForProxy;
    private ImpostorServer coordinatorForProxy;
    private ImpostorServer coordinatorForStorage;
    private ImpostorServer sourceForStorage;
    private ImpostorServer proxyForGateway;
    private ImpostorServer proxyForCli;
    private ClusterNode storage;
    private ClusterNode proxyToStorage;
    private ClusterNode proxyToCoordinator;
    private ClusterNode gateway;

    /** One outbound link: who dials, whom it pins, what the impostor shows instead, and how to make it dial. */
    private record Link(String name, ImpostorServer impostor, String expected, String presented,
            TestPki.NodeFiles right, Trigger trigger) {
    }

    /** Makes the originating node (or CLI) dial once; says whether the originating call failed, how, and its log. */
    @FunctionalInterface
    private interface Trigger {
        Attempt call() throws Exception;
    }

    /** {@code log} is read again on each use: a node may write the line a moment after the call failed. */
    private record Attempt(boolean failed, String outcome, Supplier<String> log) {
    }

    @BeforeAll
    void startCluster() throws Exception {
        cluster = MiniCluster.create(dir, "6");
        TestPki pki = cluster.pki();
        TestPki.NodeFiles otherStorage = pki.issue(Role.STORAGE, "storage-9");
        TestPki.NodeFiles otherCoordinator = pki.issue(Role.COORDINATOR, "coordinator-9");
        TestPki.NodeFiles otherProxy = pki.issue(Role.PROXY, "proxy-9");
        // The identities the callers expect, for the positive controls (no node of the cluster holds them).
        pki.issue(Role.STORAGE, "storage-2");
        pki.issue(Role.COORDINATOR, "coordinator-1");
        storageForProxy = ImpostorServer.startWithHealth(otherStorage);
        coordinatorForProxy = ImpostorServer.start(otherCoordinator);
        coordinatorForStorage = ImpostorServer.start(otherCoordinator);
        sourceForStorage = ImpostorServer.start(otherStorage);
        proxyForGateway = ImpostorServer.start(otherProxy);
        proxyForCli = ImpostorServer.start(otherProxy);

        storage = cluster.start(NodeSpec.storage("storage-1")).get(0);
        List<ClusterNode> proxies = cluster.start(
                // Its only replica, storage-2, "is" the impostor (which also answers the plaintext health check).
                NodeSpec.proxy("proxy-a").with("proxy.storages", "[{name = \"storage-2\", tls-address = "
                        + NodeConfig.quote(storageForProxy.address()) + ", health-address = "
                        + NodeConfig.quote(storageForProxy.healthAddress()) + "}]"),
                NodeSpec.proxy("proxy-b", "storage-1").with("proxy.coordinator.mode", "standalone")
                        .with("proxy.coordinator.name", "coordinator-1")
                        .with("proxy.coordinator.tls-address", NodeConfig.quote(coordinatorForProxy.address())));
        proxyToStorage = proxies.get(0);
        proxyToCoordinator = proxies.get(1);
        gateway = cluster.start(NodeSpec.gateway("gateway-1", "proxy-b")
                .with("gateway.proxy.address", NodeConfig.quote(proxyForGateway.address()))
                .with("gateway.proxy.identity", NodeConfig.quote(cluster.spiffeId(Role.PROXY, "proxy-b")))).get(0);
    }

    @AfterAll
    void stopCluster() {
        int passed = results.size();
        Map<String, String> figures = new LinkedHashMap<>();
        figures.put("links", Integer.toString(refusedBytes.size()));
        figures.put("refused", Integer.toString(passed));
        figures.put("payload-bytes", Long.toString(refusedBytes.values().stream().mapToLong(Long::longValue).sum()));
        figures.put("control-headers-seen", Integer.toString(controlBytes.size()));
        figures.put("control-bytes", Long.toString(controlBytes.values().stream().mapToLong(Long::longValue).sum()));
        SuiteSummary.record("outbound-identity", 6, passed, 6 - passed, figures);
        if (cluster != null) {
            cluster.close();
        }
        for (ImpostorServer impostor : new ImpostorServer[] {storageForProxy, coordinatorForProxy, coordinatorForStorage,
                sourceForStorage, proxyForGateway, proxyForCli}) {
            if (impostor != null) {
                impostor.close();
            }
        }
    }

    @Test
    void proxyToStorage() throws Exception {
        ManagedChannel client = cluster.channel(proxyToStorage, Role.CLIENT, "client-1");
        check(new Link("proxy->storage", storageForProxy, cluster.spiffeId(Role.STORAGE, "storage-2"),
                cluster.spiffeId(Role.STORAGE, "storage-9"), cluster.pki().files(Role.STORAGE, "storage-2"),
                () -> grpc(proxyToStorage, () -> RepositoryServiceGrpc.newBlockingStub(client)
                        .withDeadlineAfter(30, TimeUnit.SECONDS).createRepository(CreateRepositoryRequest.newBuilder()
                                .setRepository(Requests.repository(MiniCluster.VIRTUAL_STORAGE, "outbound/proxy-storage-"
                                        + attempt.incrementAndGet() + ".git")).build()))));
    }

    @Test
    void proxyToCoordinator() throws Exception {
        ManagedChannel client = cluster.channel(proxyToCoordinator, Role.CLIENT, "client-1");
        check(new Link("proxy->coordinator", coordinatorForProxy, cluster.spiffeId(Role.COORDINATOR, "coordinator-1"),
                cluster.spiffeId(Role.COORDINATOR, "coordinator-9"), cluster.pki().files(Role.COORDINATOR, "coordinator-1"),
                () -> grpc(proxyToCoordinator, () -> RepositoryServiceGrpc.newBlockingStub(client)
                        .withDeadlineAfter(30, TimeUnit.SECONDS).createRepository(CreateRepositoryRequest.newBuilder()
                                .setRepository(Requests.repository(MiniCluster.VIRTUAL_STORAGE, "outbound/proxy-coordinator-"
                                        + attempt.incrementAndGet() + ".git")).build()))));
    }

    /** The test acts as the proxy: the transaction header names the coordinator's address and pinned identity. */
    @Test
    void storageToCoordinator() throws Exception {
        ManagedChannel asProxy = cluster.channel(storage, Role.PROXY, "proxy-1");
        Repository repository = Requests.repository("storage-1", "outbound/vote.git");
        RepositoryServiceGrpc.newBlockingStub(asProxy).withDeadlineAfter(30, TimeUnit.SECONDS)
                .createRepository(CreateRepositoryRequest.newBuilder().setRepository(repository).build());
        String coordinator = cluster.spiffeId(Role.COORDINATOR, "coordinator-1");
        check(new Link("storage->coordinator", coordinatorForStorage, coordinator,
                cluster.spiffeId(Role.COORDINATOR, "coordinator-9"), cluster.pki().files(Role.COORDINATOR, "coordinator-1"),
                () -> {
                    Metadata headers = new Metadata();
                    headers.put(TransactionHeader.KEY, TransactionContext.newBuilder().setTransactionId("tx-"
                            + attempt.incrementAndGet()).setVoter("storage-1")
                            .setCoordinatorTlsAddress(coordinatorForStorage.address()).setCoordinatorIdentity(coordinator)
                            .build());
                    CommitFilesRequest commit = Requests.commit(repository, "main", "never committed",
                            Requests.create("a.txt", "a\n")).build();
                    return grpc(storage, () -> OperationServiceGrpc.newBlockingStub(asProxy)
                            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                            .withDeadlineAfter(30, TimeUnit.SECONDS).commitFiles(commit));
                }));
    }

    /** The test acts as the proxy asking storage-1 to repair itself from "storage-2", which is the impostor. */
    @Test
    void storageToStorage() throws Exception {
        ManagedChannel asProxy = cluster.channel(storage, Role.PROXY, "proxy-1");
        String source = cluster.spiffeId(Role.STORAGE, "storage-2");
        check(new Link("storage->storage", sourceForStorage, source, cluster.spiffeId(Role.STORAGE, "storage-9"),
                cluster.pki().files(Role.STORAGE, "storage-2"),
                () -> grpc(storage, () -> MaintenanceServiceGrpc.newBlockingStub(asProxy)
                        .withDeadlineAfter(30, TimeUnit.SECONDS).replicateFrom(ReplicateFromRequest.newBuilder()
                                .setRepository(Requests.repository("storage-1", "outbound/repair.git"))
                                .setSource(Requests.repository("storage-2", "outbound/repair.git"))
                                .setSourceTlsAddress(sourceForStorage.address()).setSourceIdentity(source).build()))));
    }

    /** A Git HTTP request (curl, with a user's certificate) makes the gateway dial its proxy. */
    @Test
    void gatewayToProxy() throws Exception {
        TestPki.NodeFiles user = cluster.pki().issue(Role.CLIENT, "pat");
        String url = "https://" + gateway.ready().listeners().get("git-https") + "/outbound/gateway.git/info/refs"
                + "?service=git-upload-pack";
        check(new Link("gateway->proxy", proxyForGateway, cluster.spiffeId(Role.PROXY, "proxy-b"),
                cluster.spiffeId(Role.PROXY, "proxy-9"), cluster.pki().files(Role.PROXY, "proxy-b"), () -> {
                    Curl.Response response = Curl.run(List.of("--cacert", cluster.pki().roots().toString(), "--cert",
                            user.chain().toString(), "--key", user.key().toString(), url));
                    return new Attempt(response.status() >= 500, response.toString(), gateway::output);
                }));
    }

    /** The real CLI, pinned to proxy-b's identity, pointed at the impostor's address. */
    @Test
    void cliToProxy() throws Exception {
        TestPki.NodeFiles user = cluster.pki().issue(Role.CLIENT, "cli-user");
        String expected = cluster.spiffeId(Role.PROXY, "proxy-b");
        check(new Link("cli->proxy", proxyForCli, expected, cluster.spiffeId(Role.PROXY, "proxy-9"),
                cluster.pki().files(Role.PROXY, "proxy-b"), () -> {
                    GitwardProcess.Result result = GitwardProcess.run(dir.resolve("cli-" + attempt.incrementAndGet()
                            + ".log"), Map.of(), Duration.ofMinutes(2), "client", "--address", proxyForCli.address(),
                            "--ca", cluster.pki().roots().toString(), "--server-id", expected, "--cert",
                            user.chain().toString(), "--key", user.key().toString(), "list", "outbound/cli.git");
                    return new Attempt(result.exitCode() != 0, "exit " + result.exitCode(), result::output);
                }));
    }

    /** Runs a gRPC call the originating node makes its outbound call for; its log is the node's. */
    private static Attempt grpc(ClusterNode origin, Runnable call) {
        try {
            call.run();
            return new Attempt(false, "OK", origin::output);
        } catch (StatusRuntimeException e) {
            Status status = e.getStatus();
            return new Attempt(true, status.getCode() + ": " + status.getDescription(), origin::output);
        }
    }

    private void check(Link link) throws Exception {
        ImpostorServer impostor = link.impostor();
        Attempt refused = link.trigger().call();
        refusedBytes.put(link.name(), impostor.applicationBytes());
        assertTrue(refused.failed(), link.name() + ": the call through an impostor must fail: " + refused.outcome());
        String expectedLine = "(expected " + link.expected() + ")";
        String presentedLine = "but the peer is " + link.presented();
        Awaitility.await(link.name() + " logs the mismatch").atMost(LOG_WAIT).pollInterval(Duration.ofMillis(200))
                .until(() -> refused.log().get().contains(expectedLine) && refused.log().get().contains(presentedLine));
        assertTrue(impostor.connections() >= 1, link.name() + ": the caller never dialed the impostor: " + impostor);
        assertEquals(0, impostor.handshakes(), link.name() + ": the impostor completed a handshake: " + impostor);
        assertEquals(0L, impostor.applicationBytes(), link.name() + ": the impostor decrypted request bytes: " + impostor);
        assertEquals(List.of(), impostor.frameTypes(), link.name() + ": " + impostor);
        System.out.printf("[outbound] %s refused: call %s; impostor %s%n", link.name(), refused.outcome(), impostor);

        // Positive control: the same server, now with the identity the caller pinned, gets the request.
        impostor.present(link.right());
        Awaitility.await(link.name() + " positive control").atMost(CONTROL_WAIT).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    link.trigger().call();
                    return impostor.sawHeaders();
                });
        controlBytes.put(link.name(), impostor.applicationBytes());
        results.put(link.name(), "refused");
        System.out.printf("[outbound] %s control: %s%n", link.name(), impostor);
    }
}
