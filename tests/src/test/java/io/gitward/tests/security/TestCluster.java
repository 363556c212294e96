package io.gitward.tests.security;

import io.gitward.proto.GetMetricsRequest;
import io.gitward.proto.SecurityAdminGrpc;
import io.gitward.security.identity.Role;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeKind;
import io.gitward.security.x509.Pem;
import io.gitward.tests.TestTokens;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A CA, a token file and the nodes of one trust domain at one phase, started in-process on real sockets,
 * plus mTLS channels as any role. Closing it shuts every channel down (nodes are closed by their owners).
 */
public final class TestCluster implements AutoCloseable {
    private static final String SECRET = "test-cluster-shared-token-secret";

    private final Path dir;
    private final TestPki pki;
    private final String phase;
    private final Path tokenFile;
    private final List<X509Certificate> roots;
    private final Map<String, ProbeCaller.ClientIdentity> identities = new HashMap<>();
    private final List<ManagedChannel> channels = new ArrayList<>();

    private TestCluster(Path dir, TestPki pki, String phase, Path tokenFile) throws Exception {
        this.dir = dir;
        this.pki = pki;
        this.phase = phase;
        this.tokenFile = tokenFile;
        this.roots = Pem.readCertificates(pki.roots());
    }

    public static TestCluster create(Path dir, String trustDomain, String phase, String... storageNodes) throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), trustDomain, false);
        Path token = dir.resolve("token");
        TestTokens.writeSecret(token, SECRET);
        return new TestCluster(dir, pki, phase, token);
    }

    /** Starts (or restarts) the node of {@code kind}, named "<kind>-1", running {@code application}. */
    public InProcessNode start(NodeKind kind, Supplier<NodeApplication> application) throws Exception {
        return start(kind, kind.wireName() + "-1", application, Map.of());
    }

    /** Starts (or restarts) node {@code name} with {@code extra} config lines (key to HOCON value). */
    public InProcessNode start(NodeKind kind, String name, Supplier<NodeApplication> application, Map<String, String> extra)
            throws Exception {
        Role role = kind.role();
        TestPki.NodeFiles files = java.nio.file.Files.exists(pki.files(role, name).certificate()) ? pki.files(role, name)
                : pki.issue(role, name);
        NodeConfig config = NodeConfig.node(name, dir.resolve(name + "-data")).identity(pki, files).set("security.phase", phase)
                .path("security.tokens.file", tokenFile);
        extra.forEach(config::set);
        return InProcessNode.start(kind, config.write(dir.resolve(name + ".conf")), application.get());
    }

    /** An mTLS channel to {@code node} presenting a certificate of {@code role}/{@code name} (issued once). */
    public ManagedChannel channel(InProcessNode node, Role role, String name) throws Exception {
        ProbeCaller.ClientIdentity identity = identities.get(role + "/" + name);
        if (identity == null) {
            TestPki.NodeFiles files = java.nio.file.Files.exists(pki.files(role, name).certificate()) ? pki.files(role, name)
                    : pki.issue(role, name);
            identity = SecurityRuntimeSmokeTest.identity(files);
            identities.put(role + "/" + name, identity);
        }
        ManagedChannel channel = ProbeCaller.channel(node.tlsPort(), true, identity, roots, SslProvider.OPENSSL);
        channels.add(channel);
        return channel;
    }

    /** A plaintext channel sending a fresh legacy token with every call (phases 0-4). */
    public ManagedChannel plaintextWithToken(InProcessNode node) {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", node.plaintextPort()).usePlaintext()
                .intercept(new io.grpc.ClientInterceptor() {
                    @Override
                    public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(io.grpc.MethodDescriptor<Q, R> method,
                            io.grpc.CallOptions options, io.grpc.Channel next) {
                        return next.newCall(method, options.withCallCredentials(TestTokens.bearer(SECRET)));
                    }
                }).build();
        channels.add(channel);
        return channel;
    }

    /** The node's metrics, read as an admin. */
    public String metrics(InProcessNode node) throws Exception {
        return SecurityAdminGrpc.newBlockingStub(channel(node, Role.ADMIN, "metrics-reader"))
                .withDeadlineAfter(10, TimeUnit.SECONDS).getMetrics(GetMetricsRequest.getDefaultInstance()).getPrometheusText();
    }

    public TestPki pki() {
        return pki;
    }

    @Override
    public void close() {
        for (ManagedChannel channel : channels) {
            channel.shutdownNow();
        }
    }
}
