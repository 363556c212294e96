package io.gitward.tests.storage;

import io.gitward.proto.BlobServiceGrpc;
import io.gitward.proto.CreateRepositoryRequest;
import io.gitward.proto.MaintenanceServiceGrpc;
import io.gitward.proto.OperationServiceGrpc;
import io.gitward.proto.RefServiceGrpc;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proto.SmartHttpServiceGrpc;
import io.gitward.security.identity.Role;
import io.gitward.security.server.NodeKind;
import io.gitward.storage.StorageNode;
import io.gitward.tests.security.InProcessNode;
import io.gitward.tests.security.NodeConfig;
import io.gitward.tests.security.TestCluster;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One in-process storage node (real runtime, real mTLS sockets, phase 5) with a storage root in a temporary
 * directory, and stubs as the proxy, the role that calls storage in production.
 */
public final class StorageNodeFixture implements AutoCloseable {
    public static final String STORAGE = "storage-1";

    private final TestCluster cluster;
    private final InProcessNode node;
    private final Path root;
    private final ManagedChannel proxy;

    private StorageNodeFixture(TestCluster cluster, InProcessNode node, Path root, ManagedChannel proxy) {
        this.cluster = cluster;
        this.node = node;
        this.root = root;
        this.proxy = proxy;
    }

    public static StorageNodeFixture start(Path dir, Map<String, String> extra) throws Exception {
        TestCluster cluster = TestCluster.create(dir, "cell-1.gitward", "5");
        Path root = dir.resolve("repos");
        Map<String, String> config = new HashMap<>(extra);
        config.put("storage.root", NodeConfig.quote(root.toString()));
        InProcessNode node = cluster.start(NodeKind.STORAGE, STORAGE, StorageNode::new, config);
        return new StorageNodeFixture(cluster, node, root, cluster.channel(node, Role.PROXY, "proxy-1"));
    }

    public Repository create(String relativePath) {
        Repository repository = Requests.repository(STORAGE, relativePath);
        repositories().createRepository(CreateRepositoryRequest.newBuilder().setRepository(repository).build());
        return repository;
    }

    /** The repository's directory on disk, for the git binary. */
    public Path gitDir(String relativePath) {
        return root.resolve(relativePath);
    }

    public Path root() {
        return root;
    }

    public ManagedChannel channel(Role role, String name) throws Exception {
        return cluster.channel(node, role, name);
    }

    public Channel proxy() {
        return proxy;
    }

    public InProcessNode node() {
        return node;
    }

    public TestCluster cluster() {
        return cluster;
    }

    public RepositoryServiceGrpc.RepositoryServiceBlockingStub repositories() {
        return RepositoryServiceGrpc.newBlockingStub(proxy).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    public RefServiceGrpc.RefServiceBlockingStub refs() {
        return RefServiceGrpc.newBlockingStub(proxy).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    public OperationServiceGrpc.OperationServiceBlockingStub operations() {
        return OperationServiceGrpc.newBlockingStub(proxy).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    public BlobServiceGrpc.BlobServiceBlockingStub blobs() {
        return BlobServiceGrpc.newBlockingStub(proxy).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    public MaintenanceServiceGrpc.MaintenanceServiceBlockingStub maintenance() {
        return MaintenanceServiceGrpc.newBlockingStub(proxy).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    public SmartHttpServiceGrpc.SmartHttpServiceStub smartHttp() {
        return SmartHttpServiceGrpc.newStub(proxy);
    }

    @Override
    public void close() {
        cluster.close();
        node.close();
    }
}
