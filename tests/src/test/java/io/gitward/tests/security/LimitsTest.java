package io.gitward.tests.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.identity.Role;
import io.gitward.security.server.NodeKind;
import io.gitward.security.x509.Pem;
import io.gitward.tests.probe.ProbeRequest;
import io.gitward.tests.probe.ProbeResponse;
import io.gitward.tests.probe.ScopeProbeGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.netty.handler.ssl.SslProvider;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Design.md section 8: peers cannot exhaust a node; each limit refuses clearly and the node keeps serving. */
class LimitsTest {
    @TempDir
    Path dir;

    private TestPki pki;
    private List<X509Certificate> roots;
    private ProbeCaller.ClientIdentity proxy;
    private ProbeCaller.ClientIdentity otherProxy;

    @BeforeEach
    void pki() throws Exception {
        pki = TestPki.create(dir.resolve("pki"), "cell-1.gitward", false);
        pki.issue(Role.STORAGE, "storage-1");
        proxy = SecurityRuntimeSmokeTest.identity(pki.issue(Role.PROXY, "proxy-1"));
        otherProxy = SecurityRuntimeSmokeTest.identity(pki.issue(Role.PROXY, "proxy-2"));
        roots = Pem.readCertificates(pki.roots());
    }

    private InProcessNode start(String... settings) throws Exception {
        NodeConfig config = NodeConfig.node("storage-1", dir.resolve("data"))
                .identity(pki, pki.files(Role.STORAGE, "storage-1")).set("security.phase", "6");
        for (int i = 0; i < settings.length; i += 2) {
            config.set(settings[i], settings[i + 1]);
        }
        return InProcessNode.start(NodeKind.STORAGE, config.write(dir.resolve("storage.conf")));
    }

    @Test
    void expensiveCallsAreLimitedPerCallerIdentity() throws Exception {
        try (InProcessNode node = start("security.limits.expensive-calls-per-identity", "2")) {
            ManagedChannel channel = ProbeCaller.channel(node.tlsPort(), true, proxy, roots, SslProvider.OPENSSL);
            ManagedChannel other = ProbeCaller.channel(node.tlsPort(), true, otherProxy, roots, SslProvider.OPENSSL);
            try {
                ScopeProbeGrpc.ScopeProbeFutureStub async = ScopeProbeGrpc.newFutureStub(channel);
                ProbeRequest hold = ProbeRequest.newBuilder().setHoldMillis(1500).build();
                List<com.google.common.util.concurrent.ListenableFuture<ProbeResponse>> held = new ArrayList<>();
                held.add(async.expensive(hold));
                held.add(async.expensive(hold));
                org.awaitility.Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> node.runtime().security()
                        .audit().rows().stream().filter(row -> row.principal().endsWith("/proxy-1")).mapToLong(
                                io.gitward.security.audit.AuditLog.Row::count).sum() >= 2);
                StatusRuntimeException third = assertThrows(StatusRuntimeException.class, () -> ScopeProbeGrpc
                        .newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .expensive(ProbeRequest.getDefaultInstance()));
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, third.getStatus().getCode());
                assertTrue(third.getStatus().getDescription().contains("proxy-1"), third.getStatus().getDescription());
                assertEquals("spiffe://cell-1.gitward/proxy/proxy-2", ScopeProbeGrpc.newBlockingStub(other)
                        .withDeadlineAfter(5, TimeUnit.SECONDS).expensive(ProbeRequest.getDefaultInstance()).getPrincipal(),
                        "another caller is not affected");
                for (com.google.common.util.concurrent.ListenableFuture<ProbeResponse> future : held) {
                    future.get(10, TimeUnit.SECONDS);
                }
                assertEquals("spiffe://cell-1.gitward/proxy/proxy-1", ScopeProbeGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(5, TimeUnit.SECONDS).expensive(ProbeRequest.getDefaultInstance()).getPrincipal(),
                        "slots are released when calls end");
            } finally {
                channel.shutdownNow();
                other.shutdownNow();
            }
        }
    }

    @Test
    void silentConnectionsGiveWayToAPeerThatHandshakesAndAreClosedByTheHandshakeTimeout() throws Exception {
        try (InProcessNode node = start("security.limits.max-connections", "3", "security.limits.handshake-timeout", "1s")) {
            List<Socket> silent = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    silent.add(new Socket(InetAddress.getLoopbackAddress(), node.tlsPort()));
                    int open = i + 1;
                    org.awaitility.Awaitility.await().atMost(5, TimeUnit.SECONDS)
                            .until(() -> node.runtime().security().connections().size() == open);
                }
                assertEquals(Outcome.OK, ProbeCaller.callOnce(node.tlsPort(), true, proxy, roots, SslProvider.JDK,
                        ProbeCaller.Method.PUBLIC, null, Map.of()).outcome(),
                        "at the limit, a peer that handshakes takes the place of the oldest that never did");
                assertEquals(1, node.runtime().security().limitCounters()
                        .count(io.gitward.security.audit.LimitCounters.Limit.PENDING_HANDSHAKE_EVICTED));
                long start = System.nanoTime();
                for (Socket socket : silent) {
                    socket.setSoTimeout(10_000);
                    try (InputStream in = socket.getInputStream()) {
                        assertEquals(-1, in.read(), "the node closes a connection that never handshakes");
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                assertTrue(seconds < 5, "silent connections closed after " + seconds + " s");
            } finally {
                for (Socket socket : silent) {
                    socket.close();
                }
            }
        }
    }

    @Test
    void whenEveryConnectionFinishedItsHandshakeTheLimitRefusesNewOnes() throws Exception {
        try (InProcessNode node = start("security.limits.max-connections", "3")) {
            List<ManagedChannel> open = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    ManagedChannel channel = ProbeCaller.channel(node.tlsPort(), true, proxy, roots, SslProvider.OPENSSL);
                    open.add(channel);
                    assertEquals(Outcome.OK, ProbeCaller.call(channel, ProbeCaller.Method.PUBLIC, null, Map.of())
                            .outcome());
                }
                ProbeCaller.Result refused = ProbeCaller.callOnce(node.tlsPort(), true, proxy, roots, SslProvider.JDK,
                        ProbeCaller.Method.PUBLIC, null, Map.of());
                assertNotEquals(Outcome.OK, refused.outcome(), "a fourth connection is refused while three are open");
                assertEquals(1, node.runtime().security().limitCounters()
                        .count(io.gitward.security.audit.LimitCounters.Limit.MAX_CONNECTIONS));
            } finally {
                open.forEach(ManagedChannel::shutdownNow);
            }
            org.awaitility.Awaitility.await().atMost(10, TimeUnit.SECONDS)
                    .until(() -> node.runtime().security().connections().size() == 0);
            assertEquals(Outcome.OK, ProbeCaller.callOnce(node.tlsPort(), true, proxy, roots, SslProvider.JDK,
                    ProbeCaller.Method.PUBLIC, null, Map.of()).outcome(), "the node serves again");
        }
    }

    @Test
    void oversizedMetadataAndMessagesAreRefusedAndTheNodeKeepsServing() throws Exception {
        try (InProcessNode node = start("security.limits.max-inbound-message-bytes", "65536",
                "security.limits.max-inbound-metadata-bytes", "8192")) {
            ManagedChannel channel = ProbeCaller.channel(node.tlsPort(), true, proxy, roots, SslProvider.OPENSSL);
            try {
                ProbeRequest big = ProbeRequest.newBuilder().setPayload("x".repeat(200_000)).build();
                StatusRuntimeException tooBig = assertThrows(StatusRuntimeException.class, () -> ScopeProbeGrpc
                        .newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).public_(big));
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, tooBig.getStatus().getCode(), tooBig.getStatus().toString());
                Metadata huge = new Metadata();
                huge.put(Metadata.Key.of("x-padding", Metadata.ASCII_STRING_MARSHALLER), "y".repeat(20_000));
                StatusRuntimeException tooMuchMetadata = assertThrows(StatusRuntimeException.class, () -> ScopeProbeGrpc
                        .newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(huge))
                        .withDeadlineAfter(5, TimeUnit.SECONDS).public_(ProbeRequest.getDefaultInstance()));
                assertNotEquals(Status.Code.OK, tooMuchMetadata.getStatus().getCode());
            } finally {
                channel.shutdownNow();
            }
            assertEquals(Outcome.OK, ProbeCaller.callOnce(node.tlsPort(), true, proxy, roots, SslProvider.JDK,
                    ProbeCaller.Method.PUBLIC, null, Map.of()).outcome(), "the node serves after the refusals");
        }
    }
}
