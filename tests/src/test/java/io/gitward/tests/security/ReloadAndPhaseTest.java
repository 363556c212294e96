package io.gitward.tests.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.identity.Role;
import io.gitward.security.server.NodeKind;
import io.gitward.security.x509.Pem;
import io.gitward.tests.TestTokens;
import io.netty.handler.ssl.SslProvider;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reloads keep the last good material when a file is broken or older, and phases change without restarts. */
class ReloadAndPhaseTest {
    private static final String SECRET = "reload-and-phase-token-secret";
    private static final Duration RELOAD = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private TestPki pki;
    private List<X509Certificate> roots;
    private ProbeCaller.ClientIdentity proxy;
    private ProjectedDirectory node;
    private ProjectedDirectory trust;
    private NodeConfig config;

    @BeforeEach
    void cluster() throws Exception {
        pki = TestPki.create(dir.resolve("pki"), "cell-1.gitward", false);
        roots = Pem.readCertificates(pki.roots());
        proxy = SecurityRuntimeSmokeTest.identity(pki.issue(Role.PROXY, "proxy-1"));
        node = new ProjectedDirectory(dir.resolve("secret"), List.of("key.pem", "chain.pem"));
        trust = new ProjectedDirectory(dir.resolve("trust"), List.of("roots.pem", "crl.pem"));
        TestPki.NodeFiles storage = pki.issue(Role.STORAGE, "storage-1");
        node.publish(Map.of("key.pem", Files.readAllBytes(storage.key()), "chain.pem", Files.readAllBytes(storage.chain())));
        trust.publish(Map.of("roots.pem", Files.readAllBytes(pki.roots()), "crl.pem", Files.readAllBytes(pki.crl())));
        Path token = dir.resolve("token");
        TestTokens.writeSecret(token, SECRET);
        config = NodeConfig.node("storage-1", dir.resolve("data")).set("security.trust-domain",
                NodeConfig.quote("cell-1.gitward"))
                .path("security.tls.key", node.file("key.pem")).path("security.tls.certificate-chain", node.file("chain.pem"))
                .path("security.trust.roots", trust.file("roots.pem"))
                .set("security.trust.crls", "[" + NodeConfig.quote(trust.file("crl.pem").toString()) + "]")
                .path("security.tokens.file", token);
    }

    private Outcome call(InProcessNode storage, ProbeCaller.ClientIdentity identity) throws Exception {
        return ProbeCaller.callOnce(storage.tlsPort(), true, identity, roots, SslProvider.JDK, ProbeCaller.Method.PUBLIC, null,
                Map.of()).outcome();
    }

    @Test
    void brokenOrMismatchedKeyMaterialIsRefusedAndTheLastGoodStays() throws Exception {
        config.set("security.phase", "6");
        try (InProcessNode storage = InProcessNode.start(NodeKind.STORAGE, config.write(dir.resolve("s.conf")))) {
            BigInteger serial = ServerCertificateProbe.serialOf(storage.tlsPort(), proxy);
            TestPki.NodeFiles other = pki.issue(Role.STORAGE, "storage-9");
            byte[] chain = Files.readAllBytes(pki.files(Role.STORAGE, "storage-1").chain());
            node.publish(Map.of("key.pem", "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n"
                    .getBytes(StandardCharsets.US_ASCII), "chain.pem", chain));
            Awaitility.await().atMost(RELOAD).until(() -> storage.runtime().security().reloads().refused("key") == 1);
            node.publish(Map.of("key.pem", Files.readAllBytes(other.key()), "chain.pem", chain));
            Awaitility.await().atMost(RELOAD).until(() -> storage.runtime().security().reloads().refused("key") == 2);
            assertEquals(serial, ServerCertificateProbe.serialOf(storage.tlsPort(), proxy), "the last good certificate stays");
            assertEquals(Outcome.OK, call(storage, proxy));
        }
    }

    @Test
    void anOlderCrlIsRefusedSoNoRevocationIsUndone() throws Exception {
        config.set("security.phase", "6");
        ProbeCaller.ClientIdentity victim = SecurityRuntimeSmokeTest.identity(pki.issue(Role.PROXY, "victim"));
        byte[] crlBefore = Files.readAllBytes(pki.crl());
        try (InProcessNode storage = InProcessNode.start(NodeKind.STORAGE, config.write(dir.resolve("s.conf")))) {
            assertEquals(Outcome.OK, call(storage, victim));
            pki.revoke(Role.PROXY, "victim");
            trust.publish(Map.of("roots.pem", Files.readAllBytes(pki.roots()), "crl.pem", Files.readAllBytes(pki.crl())));
            Awaitility.await().atMost(RELOAD).until(() -> call(storage, victim) == Outcome.HANDSHAKE_REFUSED);
            trust.publish(Map.of("roots.pem", Files.readAllBytes(pki.roots()), "crl.pem", crlBefore));
            Awaitility.await().atMost(RELOAD).until(() -> storage.runtime().security().reloads().refused("trust") == 1);
            assertEquals(Outcome.HANDSHAKE_REFUSED, call(storage, victim), "the revocation stays in force");
        }
    }

    @Test
    void aRevokedPeerCannotComeBackThroughSessionResumption() throws Exception {
        config.set("security.phase", "6");
        for (String provider : List.of("boringssl", "jdk")) {
            ProbeCaller.ClientIdentity victim = SecurityRuntimeSmokeTest.identity(pki.issue(Role.PROXY, "resumer-" + provider));
            config.set("security.tls.provider", NodeConfig.quote(provider));
            try (InProcessNode storage = InProcessNode.start(NodeKind.STORAGE, config.write(dir.resolve("s.conf")))) {
                // One client context for both connections, so the second one offers the first one's session.
                io.netty.handler.ssl.SslContext context = io.grpc.netty.GrpcSslContexts.configure(
                        io.netty.handler.ssl.SslContextBuilder.forClient(), SslProvider.JDK)
                        .trustManager(roots.toArray(new X509Certificate[0]))
                        .keyManager(victim.key(), victim.chain().toArray(new X509Certificate[0])).build();
                io.grpc.ManagedChannel first = io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", storage.tlsPort())
                        .sslContext(context).disableRetry().build();
                assertEquals(Outcome.OK, ProbeCaller.call(first, ProbeCaller.Method.PUBLIC, null, Map.of()).outcome());
                first.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
                pki.revoke(Role.PROXY, "resumer-" + provider);
                // The generation is read before publishing: the node may reload before publish() returns.
                long generation = storage.runtime().security().credentials().trust().generation();
                trust.publish(Map.of("roots.pem", Files.readAllBytes(pki.roots()), "crl.pem", Files.readAllBytes(pki.crl())));
                Awaitility.await().atMost(RELOAD).until(() ->
                        storage.runtime().security().credentials().trust().generation() > generation);
                io.grpc.ManagedChannel second = io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", storage.tlsPort())
                        .sslContext(context).disableRetry().build();
                long revokedBefore = storage.runtime().security().credentials().failures().snapshot()
                        .getOrDefault("revoked", 0L);
                try {
                    ProbeCaller.Result result = ProbeCaller.call(second, ProbeCaller.Method.PUBLIC, null, Map.of());
                    // Refused at the handshake (full handshake) or cut right after it (a resumed session skips the
                    // trust manager, and the post-handshake check closes the connection).
                    assertTrue(result.outcome() != Outcome.OK && (result.outcome() != Outcome.OTHER
                            || result.status().getCode() == io.grpc.Status.Code.UNAVAILABLE), provider + ": " + result);
                    assertTrue(storage.runtime().security().credentials().failures().snapshot().getOrDefault("revoked", 0L)
                            > revokedBefore, provider + ": the node counted the revoked peer");
                } finally {
                    second.shutdownNow();
                }
            }
        }
    }

    @Test
    void aStaleCrlFailsClosedFromPhaseThreeAndOnlyWarnsBefore() throws Exception {
        pki.authority().refreshCrl(Duration.ofSeconds(2));
        trust.publish(Map.of("roots.pem", Files.readAllBytes(pki.roots()), "crl.pem", Files.readAllBytes(pki.crl())));
        config.set("security.phase", "2");
        try (InProcessNode storage = InProcessNode.start(NodeKind.STORAGE, config.write(dir.resolve("s.conf")))) {
            Thread.sleep(2500);
            assertEquals(Outcome.OK, call(storage, proxy), "phase 2: a stale CRL only warns");
            storage.rewriteConfig(config.set("security.phase", "3").render());
            Awaitility.await().atMost(RELOAD).until(() -> storage.runtime().security().flags().phase() == 3);
            assertEquals(Outcome.HANDSHAKE_REFUSED, call(storage, proxy), "phase 3: a stale CRL refuses peers");
            assertTrue(storage.runtime().security().credentials().failures().snapshot().getOrDefault("crl_stale", 0L) >= 1);
        }
    }

    @Test
    void phaseFourToFiveUnderLoadClosesPlaintextWithoutAFailedCallAndDowngradeNeedsTheAllowFlag() throws Exception {
        config.set("security.phase", "4");
        try (InProcessNode storage = InProcessNode.start(NodeKind.STORAGE, config.write(dir.resolve("s.conf")))) {
            int plaintextPort = storage.plaintextPort();
            assertTrue(plaintextPort > 0);
            LoadClient load = new LoadClient(ProbeCaller.channel(storage.tlsPort(), true, proxy, roots, SslProvider.OPENSSL), 2);
            try {
                Thread.sleep(300);
                storage.rewriteConfig(config.set("security.phase", "5").render());
                Awaitility.await().atMost(RELOAD).until(() -> storage.plaintextPort() == -1);
                Thread.sleep(300);
                storage.rewriteConfig(config.set("security.phase", "4").render());
                Thread.sleep(1500);
                assertEquals(5, storage.runtime().security().flags().phase(), "a downgrade without the allow flag is refused");
                storage.rewriteConfig(config.set("security.phase", "4").set("security.allow-downgrade", "true").render());
                Awaitility.await().atMost(RELOAD).until(() -> storage.plaintextPort() > 0);
                Thread.sleep(300);
            } finally {
                load.close();
            }
            assertEquals(0, load.failed(), "failed calls: " + load.failures());
            assertTrue(load.ok() > 100, "calls made: " + load.ok());
            assertEquals(Outcome.UNAUTHENTICATED, ProbeCaller.callOnce(storage.plaintextPort(), false, null, roots,
                    SslProvider.JDK, ProbeCaller.Method.PUBLIC, null, Map.of()).outcome(), "plaintext is back and wants a token");
        }
    }
}
