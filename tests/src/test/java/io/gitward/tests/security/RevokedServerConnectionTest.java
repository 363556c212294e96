package io.gitward.tests.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.runtime.PeerEndpoint;
import io.gitward.security.server.ListenAddress;
import io.gitward.security.server.NodeKind;
import io.gitward.tests.probe.ProbeRequest;
import io.gitward.tests.probe.ScopeProbeGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A connection a node dialed is closed when the server's certificate is revoked after the handshake: the
 * dialer itself cuts it on its CRL reload (the server, which never learns of the new CRL here, would keep it
 * open), a stream on it ends within 2 s, and the next call dials again and is refused. A connection to a peer
 * whose certificate stays valid is left alone.
 */
class RevokedServerConnectionTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}: the dialer cuts its connection to a peer revoked after the handshake")
    @ValueSource(strings = {"boringssl", "jdk"})
    void aDialedConnectionToARevokedServerIsClosed(String provider) throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "cell-1.gitward", true);
        // The storage nodes keep a copy of today's CRL: only the dialer will hear of the revocation.
        Path frozenCrl = Files.copy(pki.crl(), dir.resolve("frozen-crl.pem"), StandardCopyOption.REPLACE_EXISTING);
        try (InProcessNode doomed = storage(pki, "storage-1", frozenCrl, provider);
                InProcessNode bystander = storage(pki, "storage-2", frozenCrl, provider);
                InProcessNode proxy = InProcessNode.start(NodeKind.PROXY, NodeConfig.node("proxy-1", dir.resolve("proxy-data"))
                        .identity(pki, pki.issue(Role.PROXY, "proxy-1")).set("security.phase", "6")
                        .set("security.tls.provider", NodeConfig.quote(provider)).write(dir.resolve("proxy.conf")))) {
            ManagedChannel toDoomed = dial(proxy, doomed, "storage-1");
            ManagedChannel toBystander = dial(proxy, bystander, "storage-2");
            try {
                LoadClient.Stream doomedStream = LoadClient.Stream.open(toDoomed);
                LoadClient.Stream bystanderStream = LoadClient.Stream.open(toBystander);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> doomedStream.messages.get() > 2
                        && bystanderStream.messages.get() > 2);
                assertEquals(2, proxy.runtime().security().dialedConnections().size(), "both connections are tracked");

                long doomedTrust = doomed.runtime().security().credentials().trust().generation();
                pki.revoke(Role.STORAGE, "storage-1");
                long revokedAt = System.nanoTime();
                Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> doomedStream.error.get() != null);
                double closeMillis = (doomedStream.endedAtNanos - revokedAt) / 1e6;
                assertTrue(closeMillis < 2000, "the stream to the revoked server ended after " + closeMillis + " ms");
                assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(doomedStream.error.get()).getCode());
                StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> ScopeProbeGrpc
                        .newBlockingStub(toDoomed).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .public_(ProbeRequest.getDefaultInstance()));
                assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), "a new handshake is refused");
                assertEquals(doomedTrust, doomed.runtime().security().credentials().trust().generation(),
                        "the revoked server itself never reloaded trust: the dialer closed the connection");

                assertNull(bystanderStream.error.get(), "the connection to a valid peer stays open");
                long before = bystanderStream.messages.get();
                Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> bystanderStream.messages.get() > before);
                System.out.printf("revoked server (%s): dialed connection closed %.0f ms after the CRL changed%n", provider,
                        closeMillis);
            } finally {
                toDoomed.shutdownNow();
                toBystander.shutdownNow();
            }
        }
    }

    private InProcessNode storage(TestPki pki, String name, Path crl, String provider) throws Exception {
        return InProcessNode.start(NodeKind.STORAGE, NodeConfig.node(name, dir.resolve(name + "-data"))
                .identity(pki, pki.issue(Role.STORAGE, name)).set("security.trust.crls", "[" + NodeConfig.quote(
                        crl.toString()) + "]").set("security.phase", "6").set("security.tls.provider",
                        NodeConfig.quote(provider)).write(dir.resolve(name + ".conf")));
    }

    private static ManagedChannel dial(InProcessNode proxy, InProcessNode storage, String name) throws Exception {
        return proxy.runtime().security().outbound().dial(new PeerEndpoint(NodeIdentity.of("cell-1.gitward", "storage",
                name), new ListenAddress("127.0.0.1", storage.tlsPort()), null));
    }
}
