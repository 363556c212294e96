package io.gitward.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.GetNodeInfoRequest;
import io.gitward.proto.GetNodeInfoResponse;
import io.gitward.proto.NodeServiceGrpc;
import io.gitward.security.server.ReadyFile;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code ./gitward node KIND --config FILE} as a real process: binds, writes ready.json, serves, stops. */
class NodeProcessIT {
    private static final Duration START = Duration.ofSeconds(60);
    private static final String SECRET = "node-process-it-shared-secret";
    private static final String TOKEN_LINE = "security.tokens.file = token\n";

    @TempDir
    Path dir;

    @org.junit.jupiter.api.BeforeEach
    void writeTokenFile() throws IOException {
        TestTokens.writeSecret(dir.resolve("token"), SECRET);
    }

    @ParameterizedTest(name = "a {0} node binds port 0, writes ready.json, serves node info and health, and cleans up")
    @ValueSource(strings = {"storage", "proxy", "coordinator"})
    void nodeStartsServesAndStops(String kind) throws Exception {
        Path config = write(kind + ".conf", "node.name = " + kind + "-1\nnode.data-dir = data\n" + TOKEN_LINE
                + (kind.equals("storage") ? "storage.root = repos\n" : "")
                + (kind.equals("proxy") ? "proxy.storages = [{name = storage-1, tls-address = \"127.0.0.1:9\","
                        + " health-address = \"127.0.0.1:9\"}]\n" : ""));
        Path readyFile = dir.resolve("data/ready.json");
        try (GitwardProcess node = GitwardProcess.start(dir.resolve(kind + ".log"), Map.of(), "node", kind, "--config",
                config.toString())) {
            ReadyFile ready = node.awaitReady(readyFile, START);
            assertEquals(ReadyFile.SCHEMA, ready.schema());
            assertEquals(kind, ready.kind());
            assertEquals(kind + "-1", ready.name());
            assertNull(ready.identity(), "no certificate configured");
            assertEquals(0, ready.phase());
            assertTrue(ready.listeners().get("grpc-plaintext").matches("127\\.0\\.0\\.1:[1-9][0-9]*"), ready.toString());
            assertTrue(ready.listeners().get("health").matches("127\\.0\\.0\\.1:[1-9][0-9]*"), ready.toString());
            ManagedChannel channel = plaintext(ready.listeners().get("grpc-plaintext"));
            ManagedChannel healthChannel = plaintext(ready.listeners().get("health"));
            try {
                GetNodeInfoResponse info = NodeServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .withCallCredentials(TestTokens.bearer(SECRET)).getNodeInfo(GetNodeInfoRequest.getDefaultInstance());
                assertEquals(kind, info.getKind());
                assertEquals(kind + "-1", info.getName());
                assertEquals(ready.listeners(), info.getListenersMap());
                HealthCheckResponse health = HealthGrpc.newBlockingStub(healthChannel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.getDefaultInstance());
                assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
            } finally {
                channel.shutdownNow();
                healthChannel.shutdownNow();
            }
            int exit = node.terminate(Duration.ofSeconds(30));
            assertTrue(exit == 0 || exit == 143, "exit code after SIGTERM: " + exit);
            assertFalse(Files.exists(readyFile), "ready.json is removed on graceful shutdown");
        }
    }

    @Test
    void everyConfigProblemIsListedAndNothingBinds() throws Exception {
        Path config = write("bad.conf", String.join("\n",
                "node.name = Storage_1",
                "node.nmae = typo",
                "security.phase = 9",
                "listen.grpc-plaintext = \"127.0.0.1:99999\"",
                "proxy.replicas = 3",
                "node.data-dir = data"));
        GitwardProcess.Result result = GitwardProcess.run(dir.resolve("bad.log"),
                Map.of("GITWARD_SECURITY_PHASEE", "3"), START, "node", "storage", "--config", config.toString());
        assertEquals(2, result.exitCode(), result.output());
        String[] expectedProblems = {"node.name: 'Storage_1'", "node.nmae: unknown key (did you mean node.name?)",
            "security.phase: 9 (expected: 0..6)", "listen.grpc-plaintext: '127.0.0.1:99999'", "proxy.replicas: unknown key",
            "storage.root: missing", "environment GITWARD_SECURITY_PHASEE", "security.tokens.file: missing"};
        for (String expected : expectedProblems) {
            assertTrue(result.output().contains(expected), "missing '" + expected + "' in:\n" + result.output());
        }
        assertFalse(Files.exists(dir.resolve("data/ready.json")));
    }

    @Test
    void environmentOverridesTheFile() throws Exception {
        Path config = write("env.conf", "node.name = storage-1\nnode.data-dir = data\nstorage.root = repos\n" + TOKEN_LINE);
        try (GitwardProcess node = GitwardProcess.start(dir.resolve("env.log"),
                Map.of("GITWARD_NODE_NAME", "storage-9", "GITWARD_LISTEN_HEALTH", ""), "node", "storage", "--config",
                config.toString())) {
            ReadyFile ready = node.awaitReady(dir.resolve("data/ready.json"), START);
            assertEquals("storage-9", ready.name());
            assertFalse(ready.listeners().containsKey("health"), "GITWARD_LISTEN_HEALTH=\"\" closed the health listener");
        }
    }

    @Test
    void aPortInUseIsNamedAndTheNodeExits() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path config = write("busy.conf", "node.name = storage-1\nnode.data-dir = data\nstorage.root = repos\n" + TOKEN_LINE
                    + "listen.grpc-plaintext = \"127.0.0.1:" + taken.getLocalPort() + "\"\n");
            GitwardProcess.Result result = GitwardProcess.run(dir.resolve("busy.log"), Map.of(), START, "node", "storage",
                    "--config", config.toString());
            assertEquals(1, result.exitCode(), result.output());
            assertTrue(result.output().contains("listen.grpc-plaintext: cannot bind 127.0.0.1:" + taken.getLocalPort()),
                    result.output());
            assertFalse(Files.exists(dir.resolve("data/ready.json")));
        }
    }

    @Test
    void aMissingConfigFileIsNamed() throws Exception {
        GitwardProcess.Result result = GitwardProcess.run(dir.resolve("missing.log"), Map.of(), START, "node", "proxy",
                "--config", dir.resolve("nope.conf").toString());
        assertEquals(2, result.exitCode(), result.output());
        assertTrue(result.output().contains("nope.conf") && result.output().contains("no such file"), result.output());
    }

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }

    static ManagedChannel plaintext(String address) {
        assertNotNull(address);
        int colon = address.lastIndexOf(':');
        return NettyChannelBuilder.forAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)))
                .usePlaintext().build();
    }
}
