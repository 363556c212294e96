package io.gitward.security.runtime;

import static java.util.Objects.requireNonNull;

import io.gitward.proto.AuditRow;
import io.gitward.proto.GetAuditRequest;
import io.gitward.proto.GetAuditResponse;
import io.gitward.proto.GetMetricsRequest;
import io.gitward.proto.GetMetricsResponse;
import io.gitward.proto.GetSecurityStatusRequest;
import io.gitward.proto.SecurityAdminGrpc;
import io.gitward.proto.SecurityStatus;
import io.gitward.proto.TrustedDomain;
import io.gitward.security.audit.AuditLog;
import io.gitward.security.tls.KeyMaterial;
import io.gitward.security.x509.Certificates;
import io.gitward.security.x509.TrustBundle;
import io.grpc.stub.StreamObserver;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;

/** {@code gitward.SecurityAdmin}: the audit, the metrics and the effective security status, as data. */
public final class SecurityAdminService extends SecurityAdminGrpc.SecurityAdminImplBase {
    private final SecurityRuntime security;
    private final java.util.function.Supplier<String> nodeMetrics;

    /** @param nodeMetrics the node kind's own metrics (Prometheus text), appended to the security metrics */
    public SecurityAdminService(SecurityRuntime security, java.util.function.Supplier<String> nodeMetrics) {
        this.security = requireNonNull(security, "security");
        this.nodeMetrics = requireNonNull(nodeMetrics, "nodeMetrics");
    }

    @Override
    public void getAudit(GetAuditRequest request, StreamObserver<GetAuditResponse> responses) {
        GetAuditResponse.Builder response = GetAuditResponse.newBuilder();
        for (AuditLog.Row row : security.audit().rows()) {
            response.addRows(AuditRow.newBuilder().setPrincipal(row.principal()).setTransport(row.transport())
                    .setCredential(row.credential()).setScope(row.scope()).setDecision(row.decision())
                    .setCount(row.count()).setLastSeen(row.lastSeen()));
        }
        response.putAllHandshakeFailures(security.credentials().failures().snapshot());
        responses.onNext(response.build());
        responses.onCompleted();
    }

    @Override
    public void getMetrics(GetMetricsRequest request, StreamObserver<GetMetricsResponse> responses) {
        responses.onNext(GetMetricsResponse.newBuilder().setPrometheusText(PrometheusText.render(security)
                + nodeMetrics.get()).build());
        responses.onCompleted();
    }

    @Override
    public void getSecurityStatus(GetSecurityStatusRequest request, StreamObserver<SecurityStatus> responses) {
        responses.onNext(status(security));
        responses.onCompleted();
    }

    /** The status message; also used by tools that render {@code gitward status}. */
    public static SecurityStatus status(SecurityRuntime security) {
        SecurityStatus.Builder status = SecurityStatus.newBuilder()
                .setPhase(security.flags().phase())
                .putAllFlags(security.flags().values())
                .putAllFlagSources(security.flags().sources())
                .setProvider(security.settings().provider().describe())
                .setOpenConnections(security.connections().size())
                .putAllReloads(security.reloads().snapshot())
                .addAllInsecureSettings(security.settings().insecureSettings());
        KeyMaterial key = security.credentials().keyMaterial();
        if (key != null) {
            status.setIdentity(key.identity().spiffeId()).setCertificateSerial(Certificates.serialHex(key.leaf()))
                    .setCertificateNotAfter(key.leaf().getNotAfter().toInstant().toString());
        }
        for (TrustBundle bundle : security.credentials().trust().material().bundles().values()) {
            TrustedDomain.Builder domain = TrustedDomain.newBuilder().setTrustDomain(bundle.trustDomain().name());
            for (X509Certificate anchor : bundle.anchors()) {
                domain.addRootFingerprints(Certificates.sha256(anchor));
            }
            for (X509Certificate intermediate : bundle.intermediates()) {
                domain.addIntermediateFingerprints(Certificates.sha256(intermediate));
            }
            for (X509CRL crl : bundle.crls()) {
                domain.addCrls(crl.getIssuerX500Principal().getName() + " #" + TrustBundle.crlNumber(crl) + " next update "
                        + (crl.getNextUpdate() == null ? "none" : crl.getNextUpdate().toInstant()));
            }
            status.addTrustedDomains(domain);
        }
        return status.build();
    }
}
