package io.gitward.tests.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.pki.defects.Defect;
import io.gitward.pki.defects.DefectiveCertificates;
import io.gitward.proto.GetAuditRequest;
import io.gitward.proto.GetAuditResponse;
import io.gitward.proto.GetMetricsRequest;
import io.gitward.proto.SecurityAdminGrpc;
import io.gitward.security.audit.AuditLog;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.server.NodeKind;
import io.gitward.security.x509.Pem;
import io.gitward.tests.TestTokens;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit counts what happened, in every mode, survives a restart, and is readable only by operators. */
class AuditAndMetricsTest {
    private static final String SECRET = "audit-and-metrics-token-secret";

    @TempDir
    Path dir;

    private TestPki pki;
    private List<X509Certificate> roots;
    private Path tokenFile;

    @BeforeEach
    void pki() throws Exception {
        pki = TestPki.create(dir.resolve("pki"), "cell-1.gitward", false);
        pki.issue(Role.STORAGE, "storage-1");
        roots = Pem.readCertificates(pki.roots());
        tokenFile = dir.resolve("token");
        TestTokens.writeSecret(tokenFile, SECRET);
    }

    private NodeConfig storage(String phase) {
        return NodeConfig.node("storage-1", dir.resolve("data")).identity(pki, pki.files(Role.STORAGE, "storage-1"))
                .set("security.phase", phase).path("security.tokens.file", tokenFile);
    }

    @Test
    void auditModeCountsWouldDenyAndLetsTheCallThrough() throws Exception {
        ProbeCaller.ClientIdentity client = SecurityRuntimeSmokeTest.identity(pki.issue(Role.CLIENT, "rails"));
        ProbeCaller.ClientIdentity proxy = SecurityRuntimeSmokeTest.identity(pki.issue(Role.PROXY, "proxy-1"));
        try (InProcessNode node = InProcessNode.start(NodeKind.STORAGE, storage("4").write(dir.resolve("s.conf")))) {
            AuditLog audit = node.runtime().security().audit();
            AuditLog.Key wouldDeny = new AuditLog.Key("spiffe://cell-1.gitward/client/rails", "mtls", "none", "PUBLIC",
                    "would-deny");
            AuditLog.Key allowed = new AuditLog.Key("spiffe://cell-1.gitward/proxy/proxy-1", "mtls", "none", "PUBLIC",
                    "allow");
            AuditLog.Key plaintextToken = new AuditLog.Key("anonymous@127.0.0.1", "plaintext", "token", "PUBLIC",
                    "would-deny");
            for (int i = 0; i < 3; i++) {
                assertEquals(Outcome.OK, call(node.tlsPort(), true, client, null).outcome());
            }
            assertEquals(Outcome.OK, call(node.tlsPort(), true, proxy, null).outcome());
            assertEquals(Outcome.OK, call(node.plaintextPort(), false, null, TestTokens.tokens(SECRET).issue()).outcome());
            assertEquals(3, audit.count(wouldDeny));
            assertEquals(1, audit.count(allowed));
            assertEquals(1, audit.count(plaintextToken));
        }
    }

    @Test
    void enforceModeCountsDenialsAndHandshakeFailuresByReasonAndKeepsTheAuditAcrossARestart() throws Exception {
        ProbeCaller.ClientIdentity client = SecurityRuntimeSmokeTest.identity(pki.issue(Role.CLIENT, "rails"));
        ProbeCaller.ClientIdentity auditor = SecurityRuntimeSmokeTest.identity(pki.issue(Role.AUDITOR, "ops"));
        DefectiveCertificates.Forged expired = new DefectiveCertificates(pki.authority(), TrustDomain.of("other.gitward"))
                .forge(Defect.EXPIRED, "old");
        Path config = storage("6").write(dir.resolve("s.conf"));
        AuditLog.Key denied = new AuditLog.Key("spiffe://cell-1.gitward/client/rails", "mtls", "none", "PUBLIC", "deny");
        try (InProcessNode node = InProcessNode.start(NodeKind.STORAGE, config)) {
            assertEquals(Outcome.PERMISSION_DENIED, call(node.tlsPort(), true, client, null).outcome());
            assertEquals(Outcome.PERMISSION_DENIED, call(node.tlsPort(), true, client, null).outcome());
            assertEquals(Outcome.HANDSHAKE_REFUSED, call(node.tlsPort(), true,
                    new ProbeCaller.ClientIdentity(expired.key(), expired.chain()), null).outcome());
            assertEquals(2, node.runtime().security().audit().count(denied));
            org.awaitility.Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() ->
                    node.runtime().security().credentials().failures().snapshot().getOrDefault("expired", 0L) == 1L);

            ManagedChannel asAuditor = ProbeCaller.channel(node.tlsPort(), true, auditor, roots, SslProvider.OPENSSL);
            ManagedChannel asClient = ProbeCaller.channel(node.tlsPort(), true, client, roots, SslProvider.OPENSSL);
            try {
                GetAuditResponse audit = SecurityAdminGrpc.newBlockingStub(asAuditor).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .getAudit(GetAuditRequest.getDefaultInstance());
                assertTrue(audit.getRowsList().stream().anyMatch(row -> row.getPrincipal().equals(denied.principal())
                        && row.getDecision().equals("deny") && row.getCount() == 2), audit.toString());
                assertEquals(1L, audit.getHandshakeFailuresMap().get("expired"));
                String metrics = SecurityAdminGrpc.newBlockingStub(asAuditor).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .getMetrics(GetMetricsRequest.getDefaultInstance()).getPrometheusText();
                assertTrue(metrics.contains("gitward_calls_total{principal=\"spiffe://cell-1.gitward/client/rails\","
                        + "transport=\"mtls\",credential=\"none\",scope=\"PUBLIC\",decision=\"deny\"} 2"), metrics);
                assertTrue(metrics.contains("gitward_tls_handshake_failures_total{reason=\"expired\"} 1"), metrics);
                assertTrue(metrics.contains("gitward_authentications_total{enforced=\"true\",status=\"denied\"}"), metrics);
                assertTrue(!metrics.contains(SECRET), "no secret in metrics");
                StatusRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                        () -> SecurityAdminGrpc.newBlockingStub(asClient).withDeadlineAfter(10, TimeUnit.SECONDS)
                                .getAudit(GetAuditRequest.getDefaultInstance()));
                assertEquals(io.grpc.Status.Code.PERMISSION_DENIED, refused.getStatus().getCode());
                assertTrue(refused.getStatus().getDescription().contains("ADMIN_READ")
                        && refused.getStatus().getDescription().contains("spiffe://cell-1.gitward/client/rails"),
                        refused.getStatus().getDescription());
            } finally {
                asAuditor.shutdownNow();
                asClient.shutdownNow();
            }
        }
        try (InProcessNode restarted = InProcessNode.start(NodeKind.STORAGE, config)) {
            assertEquals(2, restarted.runtime().security().audit().count(denied), "the audit survives a restart");
        }
    }

    private ProbeCaller.Result call(int port, boolean tls, ProbeCaller.ClientIdentity identity, String token)
            throws Exception {
        return ProbeCaller.callOnce(port, tls, identity, roots, SslProvider.JDK, ProbeCaller.Method.PUBLIC, token, Map.of());
    }
}
