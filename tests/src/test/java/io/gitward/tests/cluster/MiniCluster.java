package io.gitward.tests.cluster;

import io.gitward.security.identity.Role;
import io.gitward.security.server.NodeKind;
import io.gitward.security.x509.Pem;
import io.gitward.tests.GitwardProcess;
import io.gitward.tests.TestTokens;
import io.gitward.tests.security.NodeConfig;
import io.gitward.tests.security.ProbeCaller;
import io.gitward.tests.security.TestPki;
import io.grpc.ManagedChannel;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A cluster of real node processes ({@code ./gitward node KIND}, lean JVMs) on loopback, with a runtime PKI:
 * each node gets its own certificate from a CA made for the test, a config file, a data directory and a
 * log. Nodes can be killed, paused (SIGSTOP), resumed and restarted. Closing the cluster kills every process.
 */
public final class MiniCluster implements AutoCloseable {
    public static final String TRUST_DOMAIN = "cell-1.gitward";
    private static final String SECRET = "mini-cluster-shared-token-secret";
    private static final Duration START = Duration.ofSeconds(90);

    private final Path dir;
    private final TestPki pki;
    private final String phase;
    private final Path tokenFile;
    private final List<X509Certificate> roots;
    private final Map<String, ClusterNode> nodes = new LinkedHashMap<>();
    private final Map<String, ProbeCaller.ClientIdentity> identities = new HashMap<>();
    private final List<ManagedChannel> channels = new ArrayList<>();

    private MiniCluster(Path dir, TestPki pki, String phase, Path tokenFile) throws Exception {
        this.dir = dir;
        this.pki = pki;
        this.phase = phase;
        this.tokenFile = tokenFile;
        this.roots = Pem.readCertificates(pki.roots());
    }

    /** A CA for {@link #TRUST_DOMAIN} and a token file in {@code dir}; every node runs at {@code phase}. */
    public static MiniCluster create(Path dir, String phase) throws Exception {
        return create(dir, phase, TestPki.create(dir.resolve("pki"), TRUST_DOMAIN, false));
    }

    /**
     * A cluster whose nodes get their certificates from {@code pki}, so their trust domain is {@code pki}'s: several
     * clusters with different CAs are several cells.
     */
    public static MiniCluster create(Path dir, String phase, TestPki pki) throws Exception {
        Files.createDirectories(dir);
        Path token = dir.resolve("token");
        TestTokens.writeSecret(token, SECRET);
        return new MiniCluster(dir, pki, phase, token);
    }

    /** The virtual storage a proxy serves; replicas behind a proxy serve it under this name. */
    public static final String VIRTUAL_STORAGE = "default";

    /**
     * What to start: a node of {@code kind} named {@code name} with extra config lines (key to HOCON value); a
     * proxy lists the (already started) storage nodes behind it.
     */
    public record NodeSpec(NodeKind kind, String name, Map<String, String> extra, List<String> storages,
            String testMain) {
        public static NodeSpec storage(String name) {
            return new NodeSpec(NodeKind.STORAGE, name, Map.of(), List.of(), null);
        }

        /** A storage node serving the proxy's virtual storage. */
        public static NodeSpec replica(String name) {
            return storage(name).with("storage.name", "\"" + VIRTUAL_STORAGE + "\"");
        }

        public static NodeSpec coordinator(String name) {
            return new NodeSpec(NodeKind.COORDINATOR, name, Map.of(), List.of(), null);
        }

        /** A proxy in front of the named storage nodes, which must be started before it. */
        public static NodeSpec proxy(String name, String... storages) {
            return new NodeSpec(NodeKind.PROXY, name, Map.of(), List.of(storages), null);
        }

        /** A Git smart-HTTP gateway in front of the named (already started) proxy. */
        public static NodeSpec gateway(String name, String proxy) {
            return new NodeSpec(NodeKind.GATEWAY, name, Map.of(), List.of(proxy), null);
        }

        /**
         * A node of {@code kind} whose process is {@code mainClass} from the tests' classpath (taking
         * {@code --config FILE}) instead of {@code ./gitward node}: a stand-in that is still a real process.
         */
        public static NodeSpec testProcess(NodeKind kind, String name, Class<?> mainClass) {
            return new NodeSpec(kind, name, Map.of(), List.of(), mainClass.getName());
        }

        public NodeSpec with(String key, String value) {
            Map<String, String> more = new LinkedHashMap<>(extra);
            more.put(key, value);
            return new NodeSpec(kind, name, more, storages, testMain);
        }
    }

    /** Starts the nodes in parallel and waits until every one wrote its ready file. */
    public List<ClusterNode> start(NodeSpec... specs) throws Exception {
        List<ClusterNode> started = new ArrayList<>();
        for (NodeSpec spec : specs) {
            ClusterNode node = new ClusterNode(spec.kind(), spec.name(), spec.testMain(), writeConfig(spec),
                    dir.resolve(spec.name() + "-data"), dir.resolve(spec.name() + ".log"));
            nodes.put(spec.name(), node);
            node.launch();
            started.add(node);
        }
        for (ClusterNode node : started) {
            node.awaitReady(START);
        }
        return started;
    }

    public ClusterNode node(String name) {
        ClusterNode node = nodes.get(name);
        if (node == null) {
            throw new IllegalArgumentException("no node " + name + " in this cluster (have " + nodes.keySet() + ")");
        }
        return node;
    }

    /** An mTLS channel to {@code node} with a certificate of {@code role}/{@code name} (issued on first use). */
    public ManagedChannel channel(ClusterNode node, Role role, String name) throws Exception {
        return channel(node, identity(role, name));
    }

    /** An mTLS channel to {@code node} as {@code identity}, which may belong to another cluster (another cell). */
    public ManagedChannel channel(ClusterNode node, ProbeCaller.ClientIdentity identity) throws Exception {
        ManagedChannel channel = ProbeCaller.channel(node.tlsPort(), true, identity, roots, SslProvider.OPENSSL);
        channels.add(channel);
        return channel;
    }

    /** The key and chain of {@code role}/{@code name} in this cluster's trust domain (issued on first use). */
    public ProbeCaller.ClientIdentity identity(Role role, String name) throws Exception {
        ProbeCaller.ClientIdentity identity = identities.get(role + "/" + name);
        if (identity == null) {
            TestPki.NodeFiles files = Files.exists(pki.files(role, name).certificate()) ? pki.files(role, name)
                    : pki.issue(role, name);
            identity = TestPki.clientIdentity(files);
            identities.put(role + "/" + name, identity);
        }
        return identity;
    }

    public String spiffeId(Role role, String name) {
        return "spiffe://" + pki.trustDomain() + "/" + role.name().toLowerCase(java.util.Locale.ROOT) + "/" + name;
    }

    public String trustDomain() {
        return pki.trustDomain();
    }

    public TestPki pki() {
        return pki;
    }

    /** The legacy token secret every node of this cluster shares, for tests that play token callers. */
    public String tokenSecret() {
        return SECRET;
    }

    private Path writeConfig(NodeSpec spec) throws Exception {
        Role role = spec.kind().role();
        TestPki.NodeFiles files = Files.exists(pki.files(role, spec.name()).certificate()) ? pki.files(role, spec.name())
                : pki.issue(role, spec.name());
        NodeConfig config = NodeConfig.node(spec.name(), dir.resolve(spec.name() + "-data")).identity(pki, files)
                .set("security.phase", phase).path("security.tokens.file", tokenFile);
        if (spec.kind() == NodeKind.STORAGE) {
            config.path("storage.root", dir.resolve(spec.name() + "-repos"));
        }
        if (spec.kind() == NodeKind.PROXY) {
            config.set("proxy.virtual-storage", NodeConfig.quote(VIRTUAL_STORAGE));
            config.set("proxy.storages", storagesOf(spec));
            config.set("proxy.health.interval", "200ms");
            config.set("proxy.health.failures", "2");
        }
        if (spec.kind() == NodeKind.GATEWAY) {
            ClusterNode proxy = node(spec.storages().get(0));
            config.set("gateway.proxy.address", NodeConfig.quote(proxy.tlsAddress()));
            config.set("gateway.proxy.identity", NodeConfig.quote(proxy.identity()));
            config.set("gateway.virtual-storage", NodeConfig.quote(VIRTUAL_STORAGE));
        }
        spec.extra().forEach(config::set);
        return config.write(dir.resolve(spec.name() + ".conf"));
    }

    /** The proxy.storages list for the storage nodes a proxy spec names, from their ready files. */
    private String storagesOf(NodeSpec spec) {
        List<String> entries = new ArrayList<>();
        for (String storage : spec.storages()) {
            ClusterNode node = node(storage);
            String health = node.ready().listeners().get("health");
            entries.add("{name = " + NodeConfig.quote(storage) + ", tls-address = " + NodeConfig.quote(node.tlsAddress())
                    + ", health-address = " + NodeConfig.quote(health) + "}");
        }
        return "[" + String.join(", ", entries) + "]";
    }

    @Override
    public void close() {
        channels.forEach(ManagedChannel::shutdownNow);
        nodes.values().forEach(ClusterNode::kill);
    }

    /** Lean JVM options for node processes, as {@link GitwardProcess} uses. */
    static String leanJvm() {
        return GitwardProcess.LEAN_JVM;
    }
}
