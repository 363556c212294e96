package io.gitward.tests.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.pki.SubjectAltNames;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.runtime.PeerEndpoint;
import io.gitward.security.server.ListenAddress;
import io.gitward.security.server.NodeKind;
import io.gitward.tests.TestTokens;
import io.gitward.tests.probe.ProbeRequest;
import io.gitward.tests.probe.ProbeResponse;
import io.gitward.tests.probe.ScopeProbeGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A node dials peers by pinned identity: a valid certificate of the wrong identity fails the dial before any
 * request is sent, no hostname is checked, and tokens go out only where the phase still sends them.
 */
class OutboundTest {
    private static final String SECRET = "outbound-test-shared-token-secret";

    @TempDir
    Path dir;

    private TestPki pki;
    private Path tokenFile;

    @BeforeEach
    void pki() throws Exception {
        pki = TestPki.create(dir.resolve("pki"), "cell-1.gitward", true);
        // No DNS or IP SANs at all: if anything checked hostnames, dialing 127.0.0.1 would fail.
        pki.issue(Role.STORAGE, "storage-1", SubjectAltNames.NONE);
        pki.issue(Role.PROXY, "proxy-1");
        tokenFile = dir.resolve("token");
        TestTokens.writeSecret(tokenFile, SECRET);
    }

    private InProcessNode node(NodeKind kind, String name, String phase, String provider) throws Exception {
        return InProcessNode.start(kind, config(kind, name, provider).set("security.phase", phase)
                .write(dir.resolve(name + ".conf")));
    }

    private NodeConfig config(NodeKind kind, String name, String provider) {
        Role role = kind.role();
        return NodeConfig.node(name, dir.resolve(name + "-data")).identity(pki, pki.files(role, name))
                .set("security.tls.provider", NodeConfig.quote(provider)).path("security.tokens.file", tokenFile);
    }

    @ParameterizedTest(name = "{0}: the pinned identity is reached, a wrong one is refused before anything is sent")
    @ValueSource(strings = {"boringssl", "jdk"})
    void dialsOnlyThePinnedIdentity(String provider) throws Exception {
        try (InProcessNode storage = node(NodeKind.STORAGE, "storage-1", "6", provider);
                InProcessNode proxy = node(NodeKind.PROXY, "proxy-1", "6", provider)) {
            ListenAddress address = new ListenAddress("127.0.0.1", storage.tlsPort());
            NodeIdentity right = NodeIdentity.of("cell-1.gitward", "storage", "storage-1");
            ManagedChannel good = proxy.runtime().security().outbound().dial(new PeerEndpoint(right, address, null));
            try {
                ProbeResponse response = ScopeProbeGrpc.newBlockingStub(good).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .public_(ProbeRequest.getDefaultInstance());
                assertEquals("spiffe://cell-1.gitward/proxy/proxy-1", response.getPrincipal());
                assertEquals("none", response.getCredential(), "phase 6 sends no token");
            } finally {
                good.shutdownNow();
            }
            long callsBefore = storage.runtime().security().audit().rows().stream().mapToLong(row -> row.count()).sum();
            long wrongPeerBefore = proxy.runtime().security().credentials().failures().snapshot()
                    .getOrDefault("wrong_peer", 0L);
            NodeIdentity wrong = NodeIdentity.of("cell-1.gitward", "storage", "storage-2");
            ManagedChannel bad = proxy.runtime().security().outbound().dial(new PeerEndpoint(wrong, address, null));
            try {
                StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> ScopeProbeGrpc
                        .newBlockingStub(bad).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .public_(ProbeRequest.newBuilder().setPayload("must never arrive").build()));
                assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.getStatus().toString());
            } finally {
                bad.shutdownNow();
            }
            assertEquals(wrongPeerBefore + 1, proxy.runtime().security().credentials().failures().snapshot()
                    .getOrDefault("wrong_peer", 0L), "the dialer counts the mismatch");
            long callsAfter = storage.runtime().security().audit().rows().stream().mapToLong(row -> row.count()).sum();
            assertEquals(callsBefore, callsAfter, "no request reached the storage node");
        }
    }

    @ParameterizedTest(name = "phase {0}: the dialer sends a token only where the phase still does")
    @ValueSource(strings = {"2", "3"})
    void tokensGoOutOnlyWhereThePhaseSendsThem(String phase) throws Exception {
        try (InProcessNode storage = node(NodeKind.STORAGE, "storage-1", phase, "boringssl");
                InProcessNode proxy = node(NodeKind.PROXY, "proxy-1", phase, "boringssl")) {
            NodeIdentity target = NodeIdentity.of("cell-1.gitward", "storage", "storage-1");
            ManagedChannel channel = proxy.runtime().security().outbound().dial(new PeerEndpoint(target,
                    new ListenAddress("127.0.0.1", storage.tlsPort()), new ListenAddress("127.0.0.1", storage.plaintextPort())));
            try {
                ProbeResponse response = ScopeProbeGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .public_(ProbeRequest.getDefaultInstance());
                assertEquals("mtls", response.getTransport(), "from phase 2 the dialer uses TLS and presents its certificate");
                assertEquals(phase.equals("2") ? "token" : "none", response.getCredential());
                assertTrue(!response.getAuthorizationHeaderVisible(), "the token never reaches the handler");
            } finally {
                channel.shutdownNow();
            }
        }
    }

    @Test
    void aLongLivedChannelFollowsThePhaseItIsUsedIn() throws Exception {
        NodeConfig storageConfig = config(NodeKind.STORAGE, "storage-1", "boringssl");
        NodeConfig proxyConfig = config(NodeKind.PROXY, "proxy-1", "boringssl");
        try (InProcessNode storage = node(NodeKind.STORAGE, "storage-1", "0", "boringssl");
                InProcessNode proxy = node(NodeKind.PROXY, "proxy-1", "0", "boringssl")) {
            NodeIdentity target = NodeIdentity.of("cell-1.gitward", "storage", "storage-1");
            ManagedChannel channel = proxy.runtime().security().outbound().dial(new PeerEndpoint(target,
                    new ListenAddress("127.0.0.1", storage.tlsPort()), new ListenAddress("127.0.0.1", storage.plaintextPort())));
            try {
                ProbeResponse before = probe(channel);
                assertEquals("plaintext", before.getTransport(), "phase 0 dials plaintext");
                assertEquals("token", before.getCredential());

                for (String phase : List.of("3", "5")) {
                    storage.rewriteConfig(storageConfig.set("security.phase", phase).render());
                    proxy.rewriteConfig(proxyConfig.set("security.phase", phase).render());
                    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> storage.runtime().security().flags()
                            .phase() == Integer.parseInt(phase) && proxy.runtime().security().flags().phase()
                            == Integer.parseInt(phase));
                    ProbeResponse after = probe(channel);
                    assertEquals("mtls", after.getTransport(), "phase " + phase + ": the same channel now dials TLS");
                    assertEquals("none", after.getCredential(), "phase " + phase + ": and sends no token over TLS");
                }
            } finally {
                channel.shutdownNow();
            }
        }
    }

    /**
     * A relay dials on the event loop it runs on: the channel's connection lives on that loop, so its answers arrive
     * on the same thread (no hand-off); from a thread that is not a worker loop, nothing claims one.
     */
    @Test
    void aChannelDialedOnAnEventLoopAnswersOnThatLoop() throws Exception {
        try (InProcessNode storage = node(NodeKind.STORAGE, "storage-1", "6", "boringssl");
                InProcessNode proxy = node(NodeKind.PROXY, "proxy-1", "6", "boringssl")) {
            io.gitward.security.runtime.SecurityRuntime security = proxy.runtime().security();
            assertTrue(security.currentWorkerLoop().isEmpty(), "the test thread runs no event loop");
            PeerEndpoint peer = new PeerEndpoint(NodeIdentity.of("cell-1.gitward", "storage", "storage-1"),
                    new ListenAddress("127.0.0.1", storage.tlsPort()), null);
            List<io.netty.channel.EventLoop> loops = new java.util.ArrayList<>();
            security.workerGroup().forEach(executor -> loops.add((io.netty.channel.EventLoop) executor));
            assertTrue(loops.size() >= 2, "a choice of loops, else the test proves nothing: " + loops.size());
            // Each loop twice in a row: a dial that ignored the loop (gRPC's round robin) would land elsewhere once.
            List<io.netty.channel.EventLoop> dials = new java.util.ArrayList<>();
            loops.forEach(loop -> dials.addAll(List.of(loop, loop)));
            for (io.netty.channel.EventLoop loop : dials) {
                assertEquals(java.util.Optional.of(loop), loop.submit(security::currentWorkerLoop).get(10,
                        TimeUnit.SECONDS), "a worker loop finds itself");
                ManagedChannel channel = security.outbound().dial(peer, true, loop);
                try {
                    java.util.concurrent.CompletableFuture<Thread> answeredOn = new java.util.concurrent.CompletableFuture<>();
                    io.grpc.stub.ClientCalls.asyncUnaryCall(channel.newCall(ScopeProbeGrpc.getPublicMethod(),
                            io.grpc.CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS)),
                            ProbeRequest.getDefaultInstance(), new io.grpc.stub.StreamObserver<ProbeResponse>() {
                                @Override
                                public void onNext(ProbeResponse value) {
                                    answeredOn.complete(Thread.currentThread());
                                }

                                @Override
                                public void onError(Throwable t) {
                                    answeredOn.completeExceptionally(t);
                                }

                                @Override
                                public void onCompleted() {
                                }
                            });
                    Thread thread = answeredOn.get(10, TimeUnit.SECONDS);
                    assertTrue(loop.inEventLoop(thread), "answered on " + thread.getName() + ", not on the loop dialed on");
                } finally {
                    channel.shutdownNow();
                }
            }
        }
    }

    /**
     * Values that are new on every call (the deadline, the token, a request id) go out as HPACK "never indexed"
     * literals: indexed, each call would add a table entry no later call matches and evict a useful one, and a
     * secret would sit in the connection's table. The second call's header block proves it: every other field is
     * found in the table, and nothing new enters it.
     */
    @Test
    void valuesNewOnEveryCallAreNeverIndexed() throws Exception {
        try (InProcessNode proxy = node(NodeKind.PROXY, "proxy-1", "0", "boringssl");
                java.net.ServerSocket server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(10_000);
            PeerEndpoint peer = new PeerEndpoint(NodeIdentity.of("cell-1.gitward", "storage", "storage-1"), null,
                    new ListenAddress("127.0.0.1", server.getLocalPort()));
            ManagedChannel channel = proxy.runtime().security().outbound().dial(peer);
            try {
                io.grpc.Metadata requestId = new io.grpc.Metadata();
                requestId.put(io.grpc.Metadata.Key.of("x-request-id", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "r-1");
                ScopeProbeGrpc.ScopeProbeFutureStub stub = ScopeProbeGrpc.newFutureStub(channel)
                        .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(requestId));
                for (int call = 0; call < 2; call++) {
                    stub.withDeadlineAfter(30, TimeUnit.SECONDS).public_(ProbeRequest.getDefaultInstance());
                }
                try (java.net.Socket socket = server.accept()) {
                    socket.setSoTimeout(10_000);
                    List<List<HeaderBlockRepresentations.Kind>> blocks = HeaderBlockRepresentations.read(
                            new java.io.DataInputStream(socket.getInputStream()), socket.getOutputStream(), 2);
                    for (List<HeaderBlockRepresentations.Kind> block : blocks) {
                        assertEquals(3, block.stream().filter(HeaderBlockRepresentations.Kind.NEVER_INDEXED::equals)
                                .count(), "grpc-timeout, authorization and x-request-id never indexed: " + block);
                    }
                    assertTrue(blocks.get(1).stream().noneMatch(HeaderBlockRepresentations.Kind.INCREMENTAL::equals),
                            "the second call adds nothing to the table: " + blocks.get(1));
                }
            } finally {
                channel.shutdownNow();
            }
        }
    }

    private static ProbeResponse probe(ManagedChannel channel) {
        return ScopeProbeGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .public_(ProbeRequest.getDefaultInstance());
    }
}
