package io.gitward.tests.wire;

import io.gitward.security.identity.Role;
import io.gitward.security.server.NodeKind;
import io.gitward.security.server.NodeSettings;
import io.gitward.security.server.ReadyFile;
import io.gitward.security.token.TokenSecret;
import io.gitward.security.token.Tokens;
import io.gitward.tests.TestTokens;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import io.gitward.tests.security.NodeConfig;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.awaitility.Awaitility;

/**
 * The cluster the wire test watches: three storage nodes and a standalone coordinator run as {@link RecordingNode}
 * processes (the real node code, with a recorder behind TLS), a proxy ({@code gitward node proxy}) in front of them,
 * and a {@link PlaintextRelay} on every plaintext link a node or the test's client may dial: proxy and storage peers
 * to each storage node, proxy and storage nodes to the coordinator (the proxy hands the relay's address to voters in
 * the transaction header), the client to the proxy. The token secret is random per run.
 */
final class WireCluster implements AutoCloseable {
    static final List<String> STORAGES = List.of("storage-1", "storage-2", "storage-3");
    static final String COORDINATOR = "coordinator-1";
    static final String PROXY = "proxy-1";
    /** The nodes whose inbound traffic a recorder journals. */
    static final List<String> RECORDED = List.of("storage-1", "storage-2", "storage-3", COORDINATOR);
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
            Metadata.ASCII_STRING_MARSHALLER);

    private final Path dir;
    private final String secret;
    private final Path tokenFile;
    private final Tokens tokens;
    private final MiniCluster cluster;
    private final Captures captures = new Captures();
    private final List<PlaintextRelay> relays = new ArrayList<>();
    private final List<String> issued = Collections.synchronizedList(new ArrayList<>());
    private final List<ManagedChannel> channels = new ArrayList<>();
    private ManagedChannel plaintextClient;
    private ManagedChannel tlsClient;
    private int phase;

    private WireCluster(Path dir) throws Exception {
        this.dir = dir;
        this.secret = randomSecret();
        this.tokenFile = dir.resolve("wire-token");
        TestTokens.writeSecret(tokenFile, secret);
        this.tokens = new Tokens(TokenSecret.of(secret), Duration.ofSeconds(30), Clock.systemUTC(), 10_000);
        this.cluster = MiniCluster.create(dir, "0");
    }

    /** Starts every node at phase 0, the relays, and the proxy last (it dials the relays). */
    static WireCluster start(Path dir) throws Exception {
        WireCluster wire = new WireCluster(dir);
        try {
            wire.startNodes();
        } catch (Exception | Error e) {
            wire.close();
            throw e;
        }
        return wire;
    }

    private void startNodes() throws Exception {
        List<NodeSpec> recorded = new ArrayList<>();
        for (String storage : STORAGES) {
            recorded.add(withToken(NodeSpec.testProcess(NodeKind.STORAGE, storage, RecordingNode.Storage.class))
                    .with("storage.name", NodeConfig.quote(MiniCluster.VIRTUAL_STORAGE)).with("storage.vote-timeout", "10s"));
        }
        recorded.add(withToken(NodeSpec.testProcess(NodeKind.COORDINATOR, COORDINATOR, RecordingNode.Coordinator.class)));
        cluster.start(recorded.toArray(NodeSpec[]::new));
        for (String name : STORAGES) {
            captures.recorder(name, RecordingNode.journal(cluster.node(name).dataDir()));
            relay(name);
        }
        captures.recorder(COORDINATOR, RecordingNode.journal(cluster.node(COORDINATOR).dataDir()));
        PlaintextRelay toCoordinator = relay(COORDINATOR);

        List<String> storages = new ArrayList<>();
        for (int i = 0; i < STORAGES.size(); i++) {
            ClusterNode node = cluster.node(STORAGES.get(i));
            storages.add("{name = " + NodeConfig.quote(node.name()) + ", tls-address = " + NodeConfig.quote(node.tlsAddress())
                    + ", plaintext-address = " + NodeConfig.quote(relays.get(i).address()) + ", health-address = "
                    + NodeConfig.quote(node.ready().listeners().get(NodeSettings.HEALTH)) + "}");
        }
        cluster.start(withToken(NodeSpec.proxy(PROXY, STORAGES.toArray(String[]::new)))
                .with("proxy.storages", "[" + String.join(", ", storages) + "]")
                .with("proxy.coordinator.mode", "standalone")
                .with("proxy.coordinator.name", NodeConfig.quote(COORDINATOR))
                .with("proxy.coordinator.tls-address", NodeConfig.quote(cluster.node(COORDINATOR).tlsAddress()))
                .with("proxy.coordinator.plaintext-address", NodeConfig.quote(toCoordinator.address())));
        PlaintextRelay toProxy = relay(PROXY);
        plaintextClient = track(NettyChannelBuilder.forTarget(toProxy.address()).usePlaintext().disableRetry()
                .intercept(new BearerTokens()).build());
        tlsClient = cluster.channel(cluster.node(PROXY), Role.CLIENT, "client-1");
    }

    private NodeSpec withToken(NodeSpec spec) {
        return spec.with("security.tokens.file", NodeConfig.quote(tokenFile.toString()));
    }

    private PlaintextRelay relay(String node) throws IOException {
        String target = cluster.node(node).ready().listeners().get(NodeSettings.GRPC_PLAINTEXT);
        PlaintextRelay relay = PlaintextRelay.start(node, target, dir.resolve("relay-" + node + ".journal"));
        relays.add(relay);
        captures.relay(node, relay.journal());
        return relay;
    }

    /**
     * Moves every node to {@code next} by config reload (a line appended to each config file) and waits until each
     * one's ready file reports it: from then on every new call follows the new phase's flags.
     */
    void movePhase(int next) throws IOException {
        List<ClusterNode> nodes = new ArrayList<>();
        STORAGES.forEach(name -> nodes.add(cluster.node(name)));
        nodes.add(cluster.node(COORDINATOR));
        nodes.add(cluster.node(PROXY));
        for (ClusterNode node : nodes) {
            Files.writeString(node.config(), "\nsecurity.phase = " + next + "\n", StandardOpenOption.APPEND);
        }
        for (ClusterNode node : nodes) {
            Path ready = node.dataDir().resolve("ready.json");
            Awaitility.await("phase " + next + " on " + node.name()).atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                    .until(() -> ReadyFile.read(ready).phase() == next);
        }
        phase = next;
    }

    int phase() {
        return phase;
    }

    /**
     * How the test's client reaches the proxy in the current phase: in phases 0-2 over plaintext through the relay,
     * with a fresh token per call (as a Gitaly-era client would); from phase 3 over mTLS with its certificate only.
     */
    ManagedChannel client() {
        return phase <= 2 ? plaintextClient : tlsClient;
    }

    /** An mTLS channel straight to {@code node} as {@code role}/{@code name}. */
    ManagedChannel direct(String node, Role role, String name) throws Exception {
        return cluster.channel(cluster.node(node), role, name);
    }

    /** A fresh token signed with the cluster's secret, remembered as issued in the run. */
    String issueToken() {
        String token = tokens.issue();
        issued.add(token);
        return token;
    }

    /** Every token the test itself issued (its client's, the controls'). */
    List<String> issuedTokens() {
        synchronized (issued) {
            return List.copyOf(issued);
        }
    }

    /** The secret and every node's private key, in all their forms. */
    Needles secrets() throws IOException {
        Needles needles = new Needles().tokenSecret(secret);
        for (String storage : STORAGES) {
            needles.privateKey(storage, cluster.pki().files(Role.STORAGE, storage).key());
        }
        needles.privateKey(COORDINATOR, cluster.pki().files(Role.COORDINATOR, COORDINATOR).key());
        needles.privateKey(PROXY, cluster.pki().files(Role.PROXY, PROXY).key());
        return needles;
    }

    String secret() {
        return secret;
    }

    Path keyFile(Role role, String name) {
        return cluster.pki().files(role, name).key();
    }

    Captures captures() {
        return captures;
    }

    int relayCount() {
        return relays.size();
    }

    private ManagedChannel track(ManagedChannel channel) {
        channels.add(channel);
        return channel;
    }

    @Override
    public void close() {
        channels.forEach(ManagedChannel::shutdownNow);
        cluster.close();
        relays.forEach(PlaintextRelay::close);
    }

    private static String randomSecret() {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        SecureRandom random = new SecureRandom();
        StringBuilder secret = new StringBuilder("wire-");
        for (int i = 0; i < 40; i++) {
            secret.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return secret.toString();
    }

    /** Adds {@code authorization: Bearer <fresh token>} to every call, remembering each token. */
    private final class BearerTokens implements ClientInterceptor {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    headers.put(AUTHORIZATION, "Bearer " + issueToken());
                    super.start(listener, headers);
                }
            };
        }
    }
}
