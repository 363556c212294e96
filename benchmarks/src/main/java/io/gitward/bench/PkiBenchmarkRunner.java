package io.gitward.bench;

import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.CertificateProfiles;
import io.gitward.pki.KeyType;
import io.gitward.pki.SubjectAltNames;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code gitward bench pki}: certificate issuance speed, in-process (key generation + signing, and the full
 * CA operation with files and index) per key type, and the wall time of one {@code gitward pki issue}
 * process. Single-threaded; writes a Markdown report.
 */
public final class PkiBenchmarkRunner {
    private final boolean quick;
    private final Path out;

    public PkiBenchmarkRunner(boolean quick, Path out) {
        this.quick = quick;
        this.out = out;
    }

    public int run() throws Exception {
        long warmup = quick ? 300 : 3000;
        long measure = quick ? 700 : 10000;
        Path work = Files.createTempDirectory("gitward-bench-pki");
        StringBuilder report = new StringBuilder();
        report.append("# PKI benchmark\n\n")
                .append("Date: ").append(LocalDate.now()).append("; machine: ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores, ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.version")).append("; mode: ").append(quick ? "quick" : "full")
                .append("; single thread.\n\n")
                .append("| key type | operation | ops/s | p50 ms | p99 ms | samples |\n")
                .append("|---|---|---:|---:|---:|---:|\n");
        try {
            for (KeyType type : KeyType.values()) {
                CertificateAuthority authority = CertificateAuthority.init(work.resolve(type.cliName()),
                        new CertificateAuthority.InitOptions(TrustDomain.of("bench.gitward"), Duration.ofDays(365), type,
                                false, null, Duration.ofDays(1)), Clock.systemUTC());
                X509Certificate issuer = authority.issuingCertificate();
                PrivateKey issuerKey = io.gitward.pki.KeyFiles.read(authority.layout().rootKey(), null);
                NodeIdentity identity = new NodeIdentity(TrustDomain.of("bench.gitward"), Role.STORAGE, "storage-1");
                LatencyRecorder.Result inMemory = LatencyRecorder.measure(() -> {
                    KeyPair keys = type.generate();
                    Instant now = Instant.now();
                    CertificateProfiles.leaf(identity, keys.getPublic(), SubjectAltNames.LOCAL, issuer, issuerKey, type, now,
                            now.plus(Duration.ofHours(24)));
                }, warmup, measure, 1_000_000);
                row(report, type, "key generation + signing (in memory)", inMemory);
                int[] counter = {0};
                LatencyRecorder.Result toDisk = LatencyRecorder.measure(() -> authority.issue(
                        new CertificateAuthority.LeafRequest(Role.STORAGE, "node-" + counter[0]++, Duration.ofHours(24), type,
                                SubjectAltNames.LOCAL)), warmup / 3, measure / 3, quick ? 200 : 2000);
                row(report, type, "CA issue: + key/cert/chain files (fsync) + index", toDisk);
            }
            report.append("\n").append(processWallTime(work, quick ? 3 : 10));
        } finally {
            deleteRecursively(work);
        }
        Files.createDirectories(out);
        Files.writeString(out.resolve("report.md"), report, StandardCharsets.UTF_8);
        System.out.print(report);
        System.out.println("\nwritten to " + out.resolve("report.md").toAbsolutePath());
        return 0;
    }

    private static void row(StringBuilder report, KeyType type, String operation, LatencyRecorder.Result result) {
        report.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.2f | %.2f | %d |%n", type.cliName(), operation,
                result.perSecond(), result.p50Micros() / 1000, result.p99Micros() / 1000, result.count()));
    }

    /** Wall time of whole {@code gitward pki issue} processes (JVM start included), through the launcher. */
    private static String processWallTime(Path work, int runs) throws IOException, InterruptedException {
        String launcher = System.getProperty("gitward.launcher");
        if (launcher == null) {
            return "Process wall time: not measured (run through ./gitward so the launcher path is known).\n";
        }
        Path dir = work.resolve("process");
        run(launcher, "pki", "init", "--dir", dir.toString(), "--trust-domain", "bench.gitward");
        List<Double> millis = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            run(launcher, "pki", "issue", "--dir", dir.toString(), "--role", "storage", "--name", "p-" + i);
            millis.add((System.nanoTime() - start) / 1e6);
        }
        millis.sort(Comparator.naturalOrder());
        return String.format(Locale.ROOT, "Wall time of one `./gitward pki issue` process (ec-p256, %d runs): "
                + "median %.0f ms, min %.0f ms, max %.0f ms.%n", runs, millis.get(millis.size() / 2), millis.get(0),
                millis.get(millis.size() - 1));
    }

    private static void run(String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("GITWARD_SKIP_BUILD", "1");
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " failed");
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (var walk = Files.walk(root)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
