package io.gitward.tests.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryExistsRequest;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.security.identity.Role;
import io.gitward.security.server.NodeKind;
import io.gitward.security.x509.Pem;
import io.gitward.tests.cluster.ClusterNode;
import io.grpc.ManagedChannel;
import io.grpc.Status;
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
 * A storage node process (phase 6) whose TLS files all live in one kubelet-style projected volume, as
 * {@code deploy/kubernetes} mounts them: key, chain, roots, CRL and intermediates behind {@code ..data}. Each update
 * writes a new {@code ..<timestamp>} directory with every file, swaps {@code ..data} atomically and deletes the old
 * directory, as kubelet does when cert-manager renewed the Secret or the trust ConfigMap changed. Under a bounded load
 * loop on two long-lived channels (retries off), five updates each carry a renewed certificate and a CRL that revokes
 * one more probe identity; after each, a new handshake sees the new serial and the revoked probe is refused, and no
 * call fails. {@code RotationUnderLoadTest} covers the swap with an in-process node; this one runs the real launcher.
 */
class KubeletRotationIT {
    private static final int ROTATIONS = 5;
    private static final List<String> PROJECTED = List.of("key.pem", "chain.pem", "roots.pem", "crl.pem",
            "intermediates.pem");

    @TempDir
    Path dir;

    @Test
    void aDataSymlinkSwapOfEveryProjectedFileRotatesARunningNodeWithNoFailedCall() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "cell-1.gitward", true);
        ProjectedDirectory tls = new ProjectedDirectory(dir.resolve("tls"), PROJECTED);
        tls.publish(files(pki, pki.issue(Role.STORAGE, "storage-1")));
        Path config = NodeConfig.node("storage-1", dir.resolve("data"))
                .set("security.phase", "6")
                .set("security.trust-domain", NodeConfig.quote("cell-1.gitward"))
                .path("security.tls.key", tls.file("key.pem"))
                .path("security.tls.certificate-chain", tls.file("chain.pem"))
                .path("security.trust.roots", tls.file("roots.pem"))
                .set("security.trust.crls", "[" + NodeConfig.quote(tls.file("crl.pem").toString()) + "]")
                .set("security.trust.intermediates", "[" + NodeConfig.quote(tls.file("intermediates.pem").toString())
                        + "]")
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
                    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
                    while (!stop.get() && System.nanoTime() < deadline) {
                        try {
                            repositoryExists(channel);
                            ok.incrementAndGet();
                        } catch (StatusRuntimeException e) {
                            failures.add(e.getStatus().toString());
                        } catch (RuntimeException | Error e) {
                            // Anything else is a failure too: the loop goes on, nothing ends it silently.
                            failures.add(e.toString());
                        }
                    }
                }, "load-" + i);
                thread.setUncaughtExceptionHandler((t, e) -> failures.add(t.getName() + " died: " + e));
                thread.start();
                threads.add(thread);
            }
            List<String> serials = new ArrayList<>();
            serials.add(ServerCertificateProbe.serialOf(node.tlsPort(), proxy).toString(16));
            long started = System.nanoTime();
            for (int i = 0; i < ROTATIONS; i++) {
                // A probe identity the node accepts now, revoked in the CRL this update carries.
                ProbeCaller.ClientIdentity probe = TestPki.clientIdentity(pki.issue(Role.PROXY, "probe-" + i));
                assertTrue(accepted(node, probe, roots), "positive control: probe-" + i + " is accepted before");
                pki.revoke(Role.PROXY, "probe-" + i);
                TestPki.NodeFiles renewed = pki.renew(Role.STORAGE, "storage-1");
                BigInteger serial = Pem.readCertificates(renewed.certificate()).get(0).getSerialNumber();
                tls.publish(files(pki, renewed));
                assertEquals(1, tls.versionDirectories(), "kubelet keeps only the current version directory");
                Awaitility.await("new serial").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                        .until(() -> ServerCertificateProbe.serialOf(node.tlsPort(), proxy).equals(serial));
                Awaitility.await("probe-" + i + " refused").atMost(Duration.ofSeconds(15))
                        .pollInterval(Duration.ofMillis(100)).until(() -> !accepted(node, probe, roots));
                serials.add(serial.toString(16));
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            long before = ok.get();
            Awaitility.await("load after the last update").atMost(Duration.ofSeconds(15)).until(() -> ok.get() > before + 20);
            stop.set(true);
            for (Thread thread : threads) {
                thread.join(15_000);
                assertFalse(thread.isAlive(), thread.getName() + " ended");
            }
            assertEquals(List.of(), List.copyOf(failures), "failed calls during the rotations");
            assertTrue(ok.get() > 100, "the load ran: " + ok.get() + " calls");
            assertEquals(ROTATIONS + 1, serials.stream().distinct().count(), "every rotation served a new serial: " + serials);
            assertTrue(node.output().contains("reloaded key"), "the node logged its reloads");
            assertTrue(node.isAlive(), "the node survived the deleted version directories");
            System.out.printf("kubelet ..data rotation: %d updates of %d files in %.1f s, %d calls, 0 failed, %d revoked"
                    + " probes refused%n", ROTATIONS, PROJECTED.size(), seconds, ok.get(), ROTATIONS);
        } finally {
            stop.set(true);
            channels.forEach(ManagedChannel::shutdownNow);
            node.kill();
        }
    }

    private static void repositoryExists(ManagedChannel channel) {
        RepositoryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .repositoryExists(RepositoryExistsRequest.newBuilder().setRepository(Repository
                        .newBuilder().setStorageName("storage-1").setRelativePath("load.git")).build());
    }

    /** One call on a new connection: true when served, false when the handshake is refused. */
    private static boolean accepted(ClusterNode node, ProbeCaller.ClientIdentity identity, List<X509Certificate> roots)
            throws Exception {
        ManagedChannel channel = ProbeCaller.channel(node.tlsPort(), true, identity, roots, SslProvider.OPENSSL);
        try {
            repositoryExists(channel);
            return true;
        } catch (StatusRuntimeException e) {
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), "a revoked peer is refused in the handshake: "
                    + e.getStatus());
            return false;
        } finally {
            channel.shutdownNow();
        }
    }

    /** Every file the Kubernetes manifests project into /run/gitward/tls, as of now. */
    private static Map<String, byte[]> files(TestPki pki, TestPki.NodeFiles node) throws Exception {
        Map<String, byte[]> result = new LinkedHashMap<>();
        result.put("key.pem", Files.readAllBytes(node.key()));
        result.put("chain.pem", Files.readAllBytes(node.chain()));
        result.put("roots.pem", Files.readAllBytes(pki.roots()));
        result.put("crl.pem", Files.readAllBytes(pki.crl()));
        result.put("intermediates.pem", Files.readAllBytes(pki.authority().layout().intermediateCertificate()));
        return result;
    }
}
