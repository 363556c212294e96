package io.gitward.tests.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryExistsRequest;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.security.identity.Role;
import io.gitward.security.server.NodeKind;
import io.gitward.security.x509.Pem;
import io.gitward.tests.cluster.ClusterNode;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.netty.handler.ssl.SslProvider;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A storage node process (phase 6) whose key and chain live in a directory kubelet-style ({@code key.pem ->
 * ..data/key.pem}, {@code ..data -> ..vN}, a new version published by one rename of {@code ..data}, as for a
 * projected Secret that cert-manager renewed). Under a bounded load loop on two long-lived channels (retries off),
 * five renewals are published; after each, a new handshake sees the new serial; no call fails.
 * {@code RotationUnderLoadTest} covers the same swap with an in-process node; this one runs the real launcher.
 */
class KubeletRotationIT {
    private static final int ROTATIONS = 5;

    @TempDir
    Path dir;

    @Test
    void aDataSymlinkSwapRotatesARunningNodesCertificateWithNoFailedCall() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "cell-1.gitward", false);
        ProjectedDirectory secret = new ProjectedDirectory(dir.resolve("secret"), List.of("key.pem", "chain.pem"));
        secret.publish(files(pki.issue(Role.STORAGE, "storage-1")));
        Path config = NodeConfig.node("storage-1", dir.resolve("data"))
                .set("security.phase", "6")
                .set("security.trust-domain", NodeConfig.quote("cell-1.gitward"))
                .path("security.tls.key", secret.file("key.pem"))
                .path("security.tls.certificate-chain", secret.file("chain.pem"))
                .path("security.trust.roots", pki.roots())
                .set("security.trust.crls", "[" + NodeConfig.quote(pki.crl().toString()) + "]")
                .path("storage.root", dir.resolve("repos"))
                .write(dir.resolve("storage.conf"));
        ClusterNode node = ClusterNode.start(NodeKind.STORAGE, "storage-1", config, dir.resolve("data"),
                Duration.ofSeconds(90));
        List<X509Certificate> roots = Pem.readCertificates(pki.roots());
        ProbeCaller.ClientIdentity proxy = TestPki.clientIdentity(pki.issue(Role.PROXY, "proxy-1"));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong ok = new AtomicLong();
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        List<ManagedChannel> channels = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                ManagedChannel channel = ProbeCaller.channel(node.tlsPort(), true, proxy, roots, SslProvider.OPENSSL);
                channels.add(channel);
                Thread thread = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            RepositoryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                                    .repositoryExists(RepositoryExistsRequest.newBuilder().setRepository(Repository
                                            .newBuilder().setStorageName("storage-1").setRelativePath("load.git")).build());
                            ok.incrementAndGet();
                        } catch (StatusRuntimeException e) {
                            failures.add(e.getStatus().toString());
                        }
                    }
                }, "load-" + i);
                thread.start();
                threads.add(thread);
            }
            List<String> serials = new ArrayList<>();
            serials.add(ServerCertificateProbe.serialOf(node.tlsPort(), proxy).toString(16));
            long started = System.nanoTime();
            for (int i = 0; i < ROTATIONS; i++) {
                TestPki.NodeFiles renewed = pki.renew(Role.STORAGE, "storage-1");
                BigInteger serial = Pem.readCertificates(renewed.certificate()).get(0).getSerialNumber();
                secret.publish(files(renewed));
                Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                        .until(() -> ServerCertificateProbe.serialOf(node.tlsPort(), proxy).equals(serial));
                serials.add(serial.toString(16));
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            Thread.sleep(300);
            stop.set(true);
            for (Thread thread : threads) {
                thread.join(15_000);
            }
            assertEquals(List.of(), List.copyOf(failures), "failed calls during the rotations");
            assertTrue(ok.get() > 100, "the load ran: " + ok.get() + " calls");
            assertEquals(ROTATIONS + 1, serials.stream().distinct().count(), "every rotation served a new serial: " + serials);
            assertTrue(node.output().contains("reloaded key"), "the node logged its reloads");
            System.out.printf("kubelet ..data rotation: %d rotations in %.1f s, %d calls, 0 failed%n", ROTATIONS, seconds,
                    ok.get());
        } finally {
            stop.set(true);
            channels.forEach(ManagedChannel::shutdownNow);
            node.kill();
        }
    }

    private static Map<String, byte[]> files(TestPki.NodeFiles files) throws Exception {
        Map<String, byte[]> result = new LinkedHashMap<>();
        result.put("key.pem", Files.readAllBytes(files.key()));
        result.put("chain.pem", Files.readAllBytes(files.chain()));
        return result;
    }
}
