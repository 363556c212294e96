package io.gitward.tests.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.identity.Role;
import io.gitward.security.server.NodeKind;
import io.gitward.security.x509.Pem;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Under steady calls (retries off) and one long-lived stream: ten leaf rotations by {@code ..data} symlink
 * swap, a CA rollover with overlap and then a shrunk bundle, and a revocation. Zero failed calls but the
 * revoked peer's; the stream survives; the revoked peer's connection closes within 2 s.
 */
class RotationUnderLoadTest {
    private static final Duration RELOAD = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @ParameterizedTest(name = "rotations and revocation with {0} nodes cause no failed call")
    @ValueSource(strings = {"boringssl", "jdk"})
    void rotateRollRevokeUnderLoad(String provider) throws Exception {
        TestPki oldCa = TestPki.create(dir.resolve("ca-old"), "cell-1.gitward", true);
        TestPki newCa = TestPki.create(dir.resolve("ca-new"), "cell-1.gitward", true);
        ProjectedDirectory node = new ProjectedDirectory(dir.resolve("node-secret"), List.of("key.pem", "chain.pem"));
        ProjectedDirectory trust = new ProjectedDirectory(dir.resolve("trust"), List.of("roots.pem", "crls.pem",
                "intermediates.pem"));
        node.publish(nodeFiles(oldCa.issue(Role.STORAGE, "storage-1")));
        trust.publish(trustFiles(List.of(oldCa)));
        Path config = NodeConfig.node("storage-1", dir.resolve("data"))
                .set("security.trust-domain", NodeConfig.quote("cell-1.gitward"))
                .set("security.phase", "6")
                .set("security.tls.provider", NodeConfig.quote(provider))
                .path("security.tls.key", node.file("key.pem"))
                .path("security.tls.certificate-chain", node.file("chain.pem"))
                .path("security.trust.roots", trust.file("roots.pem"))
                .set("security.trust.crls", "[" + NodeConfig.quote(trust.file("crls.pem").toString()) + "]")
                .set("security.trust.intermediates", "[" + NodeConfig.quote(trust.file("intermediates.pem").toString()) + "]")
                .write(dir.resolve("storage.conf"));
        List<X509Certificate> clientRoots = new ArrayList<>(Pem.readCertificates(oldCa.roots()));
        clientRoots.addAll(Pem.readCertificates(newCa.roots()));
        ProbeCaller.ClientIdentity oldProxy = SecurityRuntimeSmokeTest.identity(oldCa.issue(Role.PROXY, "proxy-1"));
        ProbeCaller.ClientIdentity streamProxy = SecurityRuntimeSmokeTest.identity(oldCa.issue(Role.PROXY, "proxy-stream"));
        int rotations = 0;
        try (InProcessNode storage = InProcessNode.start(NodeKind.STORAGE, config)) {
            int port = storage.tlsPort();
            LoadClient load = new LoadClient(ProbeCaller.channel(port, true, oldProxy, clientRoots, SslProvider.OPENSSL), 2);
            io.grpc.ManagedChannel streamChannel = ProbeCaller.channel(port, true, streamProxy, clientRoots, SslProvider.JDK);
            LoadClient.Stream stream = LoadClient.Stream.open(streamChannel);
            try {
                // 1. Ten leaf rotations: each new serial is what a new handshake sees.
                for (int i = 0; i < 10; i++) {
                    TestPki.NodeFiles renewed = oldCa.renew(Role.STORAGE, "storage-1");
                    BigInteger serial = Pem.readCertificates(renewed.certificate()).get(0).getSerialNumber();
                    node.publish(nodeFiles(renewed));
                    Awaitility.await().atMost(RELOAD).pollInterval(Duration.ofMillis(50))
                            .until(() -> ServerCertificateProbe.serialOf(port, oldProxy).equals(serial));
                    rotations++;
                }
                // 2. CA rollover: publish both roots, switch the node and the callers to the new CA, retire the old.
                // The generation is read before publishing: the node may reload before publish() returns.
                long generation = storage.runtime().security().credentials().trust().generation();
                trust.publish(trustFiles(List.of(oldCa, newCa)));
                Awaitility.await().atMost(RELOAD).until(() ->
                        storage.runtime().security().credentials().trust().generation() > generation);
                TestPki.NodeFiles fromNewCa = newCa.issue(Role.STORAGE, "storage-1");
                BigInteger newSerial = Pem.readCertificates(fromNewCa.certificate()).get(0).getSerialNumber();
                node.publish(nodeFiles(fromNewCa));
                ProbeCaller.ClientIdentity newProxy = SecurityRuntimeSmokeTest.identity(newCa.issue(Role.PROXY, "proxy-1"));
                Awaitility.await().atMost(RELOAD).until(() -> ServerCertificateProbe.serialOf(port, newProxy).equals(newSerial));
                load.switchTo(ProbeCaller.channel(port, true, newProxy, clientRoots, SslProvider.OPENSSL));
                trust.publish(trustFiles(List.of(newCa)));
                Awaitility.await().atMost(RELOAD).until(() -> ProbeCaller.callOnce(port, true, oldProxy, clientRoots,
                        SslProvider.JDK, ProbeCaller.Method.PUBLIC, null, Map.of()).outcome() == Outcome.HANDSHAKE_REFUSED);
                assertEquals(Outcome.OK, ProbeCaller.callOnce(port, true, newProxy, clientRoots, SslProvider.JDK,
                        ProbeCaller.Method.PUBLIC, null, Map.of()).outcome());
                rotations++;

                // 3. Revoke a peer: its open stream is cut within 2 s, new handshakes refused, nobody else affected.
                ProbeCaller.ClientIdentity victim = SecurityRuntimeSmokeTest.identity(newCa.issue(Role.PROXY, "victim"));
                io.grpc.ManagedChannel victimChannel = ProbeCaller.channel(port, true, victim, clientRoots, SslProvider.JDK);
                LoadClient.Stream victimStream = LoadClient.Stream.open(victimChannel);
                Awaitility.await().atMost(RELOAD).until(() -> victimStream.messages.get() > 5);
                newCa.revoke(Role.PROXY, "victim");
                long revokedAt = System.nanoTime();
                trust.publish(trustFiles(List.of(newCa)));
                Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> victimStream.error.get() != null);
                double closeMillis = (victimStream.endedAtNanos - revokedAt) / 1e6;
                victimChannel.shutdownNow();
                assertEquals(Outcome.HANDSHAKE_REFUSED, ProbeCaller.callOnce(port, true, victim, clientRoots, SslProvider.JDK,
                        ProbeCaller.Method.PUBLIC, null, Map.of()).outcome());
                assertTrue(closeMillis < 2000, "revoked peer's connection closed after " + closeMillis + " ms");

                Thread.sleep(300);
                long okCalls = load.ok();
                assertTrue(okCalls > 100, "the load ran: " + okCalls + " calls");
                assertEquals(0, load.failed(), "failed calls during rotation: " + load.failures());
                assertNull(stream.error.get(), "the long-lived stream ended: " + stream.error.get());
                long streamed = stream.messages.get();
                System.out.printf("rotation under load (%s nodes): %d leaf rotations + 1 CA rollover, %d calls, %d failed, "
                        + "%d stream messages, revoked peer closed after %.0f ms%n", provider, rotations - 1, okCalls,
                        load.failed(), streamed, closeMillis);
            } finally {
                load.close();
                streamChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    private static Map<String, byte[]> nodeFiles(TestPki.NodeFiles files) throws Exception {
        Map<String, byte[]> result = new LinkedHashMap<>();
        result.put("key.pem", Files.readAllBytes(files.key()));
        result.put("chain.pem", Files.readAllBytes(files.chain()));
        return result;
    }

    private static Map<String, byte[]> trustFiles(List<TestPki> cas) throws Exception {
        ByteArrayOutputStream roots = new ByteArrayOutputStream();
        ByteArrayOutputStream crls = new ByteArrayOutputStream();
        ByteArrayOutputStream intermediates = new ByteArrayOutputStream();
        for (TestPki ca : cas) {
            roots.write(Files.readAllBytes(ca.roots()));
            crls.write(Files.readAllBytes(ca.crl()));
            intermediates.write(Files.readAllBytes(ca.authority().layout().intermediateCertificate()));
        }
        Map<String, byte[]> result = new LinkedHashMap<>();
        result.put("roots.pem", roots.toByteArray());
        result.put("crls.pem", crls.toByteArray());
        result.put("intermediates.pem", intermediates.toByteArray());
        return result;
    }
}
