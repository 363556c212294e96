package io.gitward.tests.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.audit.LimitCounters;
import io.gitward.security.config.GitwardConfig;
import io.gitward.security.identity.Role;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeKind;
import io.gitward.security.server.NodeSettings;
import io.gitward.tests.security.InProcessNode;
import io.gitward.tests.security.NodeConfig;
import io.gitward.tests.security.TestPki;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plaintext gRPC health listener answers anyone, outside TLS and authorization, so it is where an
 * unauthenticated peer reaches HTTP/2 at phase 6: it must carry the same limits as the other listeners (rapid
 * reset, handshake timeout, message and metadata size) and its own connection budget, so a flood on it cannot take
 * the slots of authenticated peers. A real node runtime in the test JVM, attacked over real sockets.
 */
class HealthListenerLimitsTest {
    private static final int MAX_RST = 20;

    @TempDir
    Path dir;

    private TestPki pki;

    @BeforeEach
    void pki() throws Exception {
        pki = TestPki.create(dir.resolve("pki"), "cell-1.gitward", false);
        pki.issue(Role.STORAGE, "storage-1");
    }

    private InProcessNode start(String... settings) throws Exception {
        NodeConfig config = NodeConfig.node("storage-1", dir.resolve("data"))
                .identity(pki, pki.files(Role.STORAGE, "storage-1")).set("security.phase", "6")
                .set("security.limits.max-rst-frames", Integer.toString(MAX_RST))
                .set("security.limits.max-inbound-message-bytes", "65536")
                .set("security.limits.max-inbound-metadata-bytes", "8192");
        for (int i = 0; i < settings.length; i += 2) {
            config.set(settings[i], settings[i + 1]);
        }
        return InProcessNode.start(NodeKind.STORAGE, config.write(dir.resolve("storage.conf")), new NodeApplication() {
            @Override
            public void configure(GitwardConfig config, NodeSettings settings) {
            }

            @Override
            public List<BindableService> services(io.gitward.security.runtime.SecurityRuntime security) {
                return List.of();
            }
        });
    }

    private static Endpoint health(InProcessNode node) {
        return Endpoint.plaintext("health", new InetSocketAddress("127.0.0.1", node.port(NodeSettings.HEALTH)));
    }

    private static long counted(InProcessNode node, LimitCounters.Limit limit) {
        return node.runtime().security().limitCounters().count(limit);
    }

    @Test
    void rapidResetEndsTheConnectionWithEnhanceYourCalm() throws Exception {
        try (InProcessNode node = start()) {
            Endpoint health = health(node);
            RapidReset attack = new RapidReset(health, RapidReset.grpcRequest(health, "/grpc.health.v1.Health/Check"),
                    10 * MAX_RST);
            attack.oneConnection();
            assertEquals(1, attack.tally().calmDown.get(), attack.tally().describe());
            assertEquals(0, attack.tally().tookEverything.get(), attack.tally().describe());
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> counted(node, LimitCounters.Limit.RAPID_RESET) == 1);
            assertServing(node);
        }
    }

    @Test
    void aConnectionThatNeverSendsItsPrefaceIsClosedByTheHandshakeTimeout() throws Exception {
        try (InProcessNode node = start("security.limits.handshake-timeout", "1s");
                Socket socket = new Socket(InetAddress.getLoopbackAddress(), node.port(NodeSettings.HEALTH))) {
            socket.getOutputStream().write("PRI * HTTP/2.0\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.setSoTimeout(10_000);
            long start = System.nanoTime();
            assertTrue(closedByNode(socket), "the node closes a connection that never completes its preface");
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(seconds < 8, "closed after " + seconds + " s");
        }
    }

    @Test
    void oversizedMessagesAndHeadersAreRefused() throws Exception {
        try (InProcessNode node = start()) {
            Endpoint health = health(node);
            Map<String, String> check = RapidReset.grpcRequest(health, "/grpc.health.v1.Health/Check");
            OversizeProbes probes = new OversizeProbes();
            probes.rawMessage("message", health, check, 65536 + 1);
            probes.rawHeaders("headers", health, check, 4 * 8192);
            assertEquals(Map.of("message", Map.of("HTTP 200 grpc-status 8", 1)), Map.of("message",
                    probes.outcomes().get("message")), "RESOURCE_EXHAUSTED on the length prefix alone");
            assertTrue(probes.outcomes().get("headers").keySet().stream().allMatch(outcome -> outcome.startsWith("GOAWAY")
                    || outcome.startsWith("HTTP 431")), probes.outcomes().toString());
            Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> counted(node, LimitCounters.Limit.MESSAGE_SIZE) == 1);
            assertServing(node);
        }
    }

    @Test
    void healthConnectionsHaveTheirOwnBudget() throws Exception {
        List<Socket> silent = new ArrayList<>();
        try (InProcessNode node = start("security.limits.max-connections", "3", "security.limits.handshake-timeout",
                "30s")) {
            for (int i = 0; i < 3; i++) {
                silent.add(new Socket(InetAddress.getLoopbackAddress(), node.port(NodeSettings.HEALTH)));
            }
            Awaitility.await().atMost(5, TimeUnit.SECONDS)
                    .until(() -> node.runtime().security().probeConnections().size() == 3);
            try (Socket fourth = new Socket(InetAddress.getLoopbackAddress(), node.port(NodeSettings.HEALTH))) {
                fourth.setSoTimeout(5000);
                assertTrue(closedByNode(fourth), "the health listener's budget is spent: a fourth connection is closed");
            }
            assertEquals(1, counted(node, LimitCounters.Limit.MAX_CONNECTIONS));
            assertEquals(0, node.runtime().security().connections().size(), "the TLS listener's budget is untouched");
            try (Socket tls = new Socket(InetAddress.getLoopbackAddress(), node.tlsPort())) {
                tls.setSoTimeout(300);
                assertTrue(!closedByNode(tls), "the TLS listener still accepts connections");
            }
        } finally {
            for (Socket socket : silent) {
                socket.close();
            }
        }
    }

    /** Reads (and drops) what the node sends until it closes: true, or until the read timeout: false. */
    private static boolean closedByNode(Socket socket) throws IOException {
        byte[] buffer = new byte[4096];
        try {
            while (true) {
                if (socket.getInputStream().read(buffer) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static void assertServing(InProcessNode node) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.port(NodeSettings.HEALTH))
                .usePlaintext().build();
        try {
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus());
        } finally {
            channel.shutdownNow();
        }
    }
}
