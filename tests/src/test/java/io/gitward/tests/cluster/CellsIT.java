package io.gitward.tests.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.pki.CertificateProfiles;
import io.gitward.pki.KeyType;
import io.gitward.pki.SubjectAltNames;
import io.gitward.proto.GetMetricsRequest;
import io.gitward.proto.GetSecurityStatusRequest;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryExistsRequest;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proto.SecurityAdminGrpc;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.x509.Pem;
import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import io.gitward.tests.security.NodeConfig;
import io.gitward.tests.security.ProbeCaller;
import io.gitward.tests.security.TestPki;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two cells: two {@link MiniCluster}s with trust domains {@code cell-a.gitward} and {@code cell-b.gitward}, each node
 * a real process at phase 6 that trusts the other cell's CA. Cell A admits cell B's {@code auditor} for
 * {@code ADMIN_READ} and nothing else; cell B admits nobody from A. A certificate claiming cell B but signed by cell
 * A's CA is refused in the handshake. Run with separate roots and with one offline root and a CA per cell
 * ({@code pki init-cell}), where only the cell CA's name constraint binds it to its domain.
 */
class CellsIT {
    private static final String CELL_A = "cell-a.gitward";
    private static final String CELL_B = "cell-b.gitward";
    private static final Pattern HANDSHAKE_FAILURES = Pattern.compile(
            "^gitward_tls_handshake_failures_total\\{reason=\"([a-z_]+)\"} (\\d+)$", Pattern.MULTILINE);

    @TempDir
    Path dir;

    @ParameterizedTest(name = "cells with {0}: cross-cell denied by default, allowed per scope, forged domain refused")
    @ValueSource(strings = {"separate roots", "one offline root"})
    void crossCellCallsAreDeniedUnlessAScopeAdmitsTheOtherCell(String setup) throws Exception {
        TestPki pkiA;
        TestPki pkiB;
        if (setup.equals("separate roots")) {
            pkiA = TestPki.create(dir.resolve("pki-a"), CELL_A, true);
            pkiB = TestPki.create(dir.resolve("pki-b"), CELL_B, true);
        } else {
            Path root = TestPki.offlineRoot(dir.resolve("root"));
            pkiA = TestPki.cell(root, dir.resolve("pki-a"), CELL_A);
            pkiB = TestPki.cell(root, dir.resolve("pki-b"), CELL_B);
        }
        try (MiniCluster cellA = MiniCluster.create(dir.resolve("a"), "6", pkiA);
                MiniCluster cellB = MiniCluster.create(dir.resolve("b"), "6", pkiB)) {
            ClusterNode a1 = cellA.start(NodeSpec.storage("storage-a1")
                    .with("security.trust.other-domains", otherDomain(pkiB))
                    .with("security.authorization.rules", "[{scope = ADMIN_READ, roles = [auditor], trust-domains = ["
                            + NodeConfig.quote(CELL_B) + "]}]")).get(0);
            ClusterNode b1 = cellB.start(NodeSpec.storage("storage-b1")
                    .with("security.trust.other-domains", otherDomain(pkiA))).get(0);

            // Each cell's own callers work as usual.
            securityStatus(cellA.channel(a1, Role.AUDITOR, "auditor-a"));
            repositoryExists(cellA.channel(a1, Role.PROXY, "proxy-a"), "storage-a1");
            securityStatus(cellB.channel(b1, Role.AUDITOR, "auditor-b"));

            // Cell B's auditor may read cell A's admin views: the one scope the rule admits.
            ProbeCaller.ClientIdentity auditorB = cellB.identity(Role.AUDITOR, "auditor-b");
            securityStatus(cellA.channel(a1, auditorB));
            // ... and nothing else: other scopes, and other roles of cell B for the same scope, stay denied.
            assertDenied(() -> repositoryExists(cellA.channel(a1, auditorB), "storage-a1"),
                    "scope PUBLIC", cellB.spiffeId(Role.AUDITOR, "auditor-b"));
            assertDenied(() -> repositoryExists(cellA.channel(a1, cellB.identity(Role.PROXY, "proxy-b")), "storage-a1"),
                    "scope PUBLIC", "trust domain " + CELL_B + " is not admitted");
            assertDenied(() -> securityStatus(cellA.channel(a1, cellB.identity(Role.ADMIN, "admin-b"))),
                    "scope ADMIN_READ", cellB.spiffeId(Role.ADMIN, "admin-b"));
            // Cell B trusts cell A's CA but has no rule: every cross-cell call is denied by default.
            assertDenied(() -> securityStatus(cellB.channel(b1, cellA.identity(Role.AUDITOR, "auditor-a"))),
                    "scope ADMIN_READ", "trust domain " + CELL_A + " is not admitted");
            assertDenied(() -> repositoryExists(cellB.channel(b1, cellA.identity(Role.PROXY, "proxy-a")), "storage-b1"),
                    "scope PUBLIC", cellA.spiffeId(Role.PROXY, "proxy-a"));

            // A certificate claiming cell B's auditor, signed by cell A's CA: refused in the handshake on both cells.
            ProbeCaller.ClientIdentity forged = forge(pkiA, CELL_B, "auditor-b");
            ManagedChannel adminA = cellA.channel(a1, Role.ADMIN, "admin-a");
            ManagedChannel adminB = cellB.channel(b1, Role.ADMIN, "admin-b");
            Map<String, Long> failuresA = handshakeFailures(adminA);
            Map<String, Long> failuresB = handshakeFailures(adminB);
            assertHandshakeRefused(() -> securityStatus(cellA.channel(a1, forged)));
            assertHandshakeRefused(() -> securityStatus(cellB.channel(b1, forged)));
            // Both cells name the same reason: a leaf for cell B must chain to cell B's bundle. With separate roots
            // cell A's CA is not in it (B trusts that CA for cell A only); under one root, cell A's CA is
            // name-constrained to cell A.
            String reason = setup.equals("separate roots") ? "untrusted_issuer" : "name_constraints";
            assertEquals(Set.of(reason), increased(failuresA, handshakeFailures(adminA)), "cell A's handshake failures");
            assertEquals(Set.of(reason), increased(failuresB, handshakeFailures(adminB)), "cell B's handshake failures");
            // Cell B refused the forgery and goes on serving its own callers.
            securityStatus(cellB.channel(b1, Role.AUDITOR, "auditor-b"));
            repositoryExists(cellB.channel(b1, Role.PROXY, "proxy-b"), "storage-b1");
            assertFalse(a1.output().contains("BEGIN"), "no PEM material in the node's log");
            assertFalse(b1.output().contains("BEGIN"), "no PEM material in the node's log");
            System.out.printf("cells (%s): cross-cell ADMIN_READ allowed for the admitted auditor only; 5 cross-cell calls"
                    + " denied; forged cell-B certificate refused by both cells (%s); cell B serves on%n", setup, reason);
        }
    }

    /** {@code gitward_tls_handshake_failures_total} of the node behind {@code admin}, by reason. */
    private static Map<String, Long> handshakeFailures(ManagedChannel admin) {
        String metrics = SecurityAdminGrpc.newBlockingStub(admin).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getMetrics(GetMetricsRequest.getDefaultInstance()).getPrometheusText();
        Map<String, Long> failures = new TreeMap<>();
        Matcher matcher = HANDSHAKE_FAILURES.matcher(metrics);
        while (matcher.find()) {
            failures.put(matcher.group(1), Long.parseLong(matcher.group(2)));
        }
        return failures;
    }

    private static Set<String> increased(Map<String, Long> before, Map<String, Long> after) {
        Set<String> reasons = new TreeSet<>();
        after.forEach((reason, count) -> {
            if (count > before.getOrDefault(reason, 0L)) {
                reasons.add(reason);
            }
        });
        return reasons;
    }

    private static String otherDomain(TestPki other) {
        Path intermediate = other.authority().layout().intermediateCertificate();
        return "[{trust-domain = " + NodeConfig.quote(other.trustDomain()) + ", roots = "
                + NodeConfig.quote(other.roots().toString()) + ", crls = [" + NodeConfig.quote(other.crl().toString()) + "]"
                + (Files.exists(intermediate) ? ", intermediates = [" + NodeConfig.quote(intermediate.toString()) + "]" : "")
                + "}]";
    }

    /** A leaf for {@code domain}/auditor/{@code name}, signed by {@code issuerPki}'s issuing CA (another cell's). */
    private static ProbeCaller.ClientIdentity forge(TestPki issuerPki, String domain, String name) throws Exception {
        X509Certificate issuer = issuerPki.authority().issuingCertificate();
        PrivateKey issuerKey = Pem.readPrivateKey(issuerPki.authority().layout().intermediateKey(), null);
        KeyPair keys = KeyType.EC_P256.generate();
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        X509Certificate leaf = CertificateProfiles.leaf(new NodeIdentity(TrustDomain.of(domain), Role.AUDITOR, name),
                keys.getPublic(), SubjectAltNames.LOCAL, issuer, issuerKey, KeyType.EC_P256, now.minusSeconds(60),
                now.plus(1, ChronoUnit.HOURS));
        return new ProbeCaller.ClientIdentity(keys.getPrivate(), List.of(leaf, issuer));
    }

    private static void securityStatus(ManagedChannel channel) {
        SecurityAdminGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getSecurityStatus(GetSecurityStatusRequest.getDefaultInstance());
    }

    private static void repositoryExists(ManagedChannel channel, String storage) {
        RepositoryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).repositoryExists(
                RepositoryExistsRequest.newBuilder().setRepository(Repository.newBuilder().setStorageName(storage)
                        .setRelativePath("cells.git")).build());
    }

    private static void assertDenied(Executable call, String... fragments) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), e::toString);
        for (String fragment : fragments) {
            assertTrue(String.valueOf(e.getStatus().getDescription()).contains(fragment),
                    () -> "'" + fragment + "' in " + e.getStatus());
        }
    }

    private static void assertHandshakeRefused(Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e::toString);
    }
}
