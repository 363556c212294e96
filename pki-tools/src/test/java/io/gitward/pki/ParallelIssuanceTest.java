package io.gitward.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.x509.Certificates;
import io.gitward.security.x509.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parallel {@code issue} calls on one CA never lose an index entry: the CA lock serializes them. */
class ParallelIssuanceTest {
    private static final int THREADS = 8;
    private static final int ISSUES_PER_THREAD = 5;

    @TempDir
    Path tmp;

    @Test
    void fortyParallelIssuesAllLandInTheIndexWithDistinctSerials() throws Exception {
        Path dir = tmp.resolve("pki");
        CertificateAuthority.init(dir, new CertificateAuthority.InitOptions(TrustDomain.of("cell-1.gitward"),
                Duration.ofDays(30), KeyType.EC_P256, false, null, CertificateAuthority.DEFAULT_CRL_VALIDITY),
                Clock.systemUTC());

        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        List<IssuedCertificate> issued = new ArrayList<>();
        try {
            List<Future<List<IssuedCertificate>>> results = new ArrayList<>();
            for (int thread = 0; thread < THREADS; thread++) {
                int id = thread;
                Callable<List<IssuedCertificate>> worker = () -> {
                    CertificateAuthority ca = CertificateAuthority.open(dir, null, Clock.systemUTC());
                    start.await();
                    List<IssuedCertificate> mine = new ArrayList<>();
                    for (int i = 0; i < ISSUES_PER_THREAD; i++) {
                        mine.add(ca.issue(new CertificateAuthority.LeafRequest(Role.STORAGE, "node-" + id + "-" + i,
                                Duration.ofHours(1), KeyType.EC_P256, SubjectAltNames.LOCAL)));
                    }
                    return mine;
                };
                results.add(pool.submit(worker));
            }
            start.countDown();
            for (Future<List<IssuedCertificate>> result : results) {
                issued.addAll(result.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }

        Set<String> returnedSerials = new TreeSet<>();
        issued.forEach(certificate -> returnedSerials.add(certificate.serial()));
        assertEquals(THREADS * ISSUES_PER_THREAD, returnedSerials.size(), "distinct serials");

        CaIndex index = CertificateAuthority.open(dir, null, Clock.systemUTC()).index();
        Map<String, String> leaves = new TreeMap<>();
        for (IndexEntry entry : index.entries()) {
            if (entry.kind().equals("leaf")) {
                leaves.put(entry.serial(), entry.name());
            }
        }
        assertEquals(THREADS * ISSUES_PER_THREAD, leaves.size(), "every issue is in index.json");
        assertEquals(returnedSerials, leaves.keySet());
        assertEquals(THREADS * ISSUES_PER_THREAD + 1, index.entries().size(), "the root and the 40 leaves, nothing else");

        for (IssuedCertificate certificate : issued) {
            Path file = Path.of(certificate.files().certificate());
            assertTrue(Files.isRegularFile(file), file::toString);
            assertEquals(certificate.serial(), Certificates.serialHex(Pem.readCertificatesRequired(file).get(0)));
            assertEquals(certificate.name(), leaves.get(certificate.serial()));
        }
    }
}
