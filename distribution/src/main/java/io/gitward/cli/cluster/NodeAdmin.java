package io.gitward.cli.cluster;

import io.gitward.cli.client.ClientEndpoint;
import io.gitward.cli.client.ClientException;
import io.gitward.proto.AuditRow;
import io.gitward.proto.GetAuditRequest;
import io.gitward.proto.GetSecurityStatusRequest;
import io.gitward.proto.SecurityAdminGrpc;
import io.gitward.proto.SecurityStatus;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.server.ListenAddress;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The operator's admin calls to local nodes: mTLS with the cluster's admin certificate to each node's pinned
 * identity, plus a legacy token only while the node may be in a phase that does not ask for certificates
 * ({@code lowestPhase} at most 1). Failures come back as {@link ClusterException}s naming the node.
 */
final class NodeAdmin {
    private static final long CALL_SECONDS = 10;

    private NodeAdmin() {
    }

    static ClientEndpoint.Connection open(ClusterLayout layout, ClusterManifest manifest, ClusterManifest.Node node,
            int lowestPhase) throws ClusterException {
        Path admin = layout.clientDir(LocalIdentities.ADMIN);
        NodeIdentity identity = new NodeIdentity(TrustDomain.of(manifest.trustDomain()), node.role(),
                node.name());
        try {
            return new ClientEndpoint(ListenAddress.parse(node.tlsAddress()), false, ClusterLayout.roots(admin),
                    ClusterLayout.crl(admin), ClusterLayout.chain(admin), ClusterLayout.key(admin), identity,
                    lowestPhase <= 1 ? ClusterLayout.token(admin) : null).open();
        } catch (ClientException e) {
            throw new ClusterException("admin connection to " + node.name() + ": " + e.getMessage(), e);
        }
    }

    static SecurityStatus securityStatus(ClusterLayout layout, ClusterManifest manifest, ClusterManifest.Node node,
            int lowestPhase) throws ClusterException {
        try (ClientEndpoint.Connection connection = open(layout, manifest, node, lowestPhase)) {
            return SecurityAdminGrpc.newBlockingStub(connection.calls()).withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS)
                    .getSecurityStatus(GetSecurityStatusRequest.getDefaultInstance());
        } catch (StatusRuntimeException e) {
            throw failure(node, "admin API", e);
        }
    }

    /** Every node's audit rows, by node name. */
    static Map<String, List<AuditRow>> audits(ClusterLayout layout, ClusterManifest manifest) throws ClusterException {
        Map<String, List<AuditRow>> audits = new LinkedHashMap<>();
        for (ClusterManifest.Node node : manifest.nodes()) {
            try (ClientEndpoint.Connection connection = open(layout, manifest, node, manifest.phase())) {
                audits.put(node.name(), SecurityAdminGrpc.newBlockingStub(connection.calls())
                        .withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS).getAudit(GetAuditRequest.getDefaultInstance())
                        .getRowsList());
            } catch (StatusRuntimeException e) {
                throw failure(node, "cannot read the audit (is it running? ./gitward status)", e);
            }
        }
        return audits;
    }

    /**
     * Polls the node's security status until {@code done} holds; fails after {@code timeout} naming what the node
     * did not confirm, the last answer, and its log.
     */
    static void await(ClusterLayout layout, ClusterManifest manifest, ClusterManifest.Node node, int lowestPhase,
            String what, Predicate<SecurityStatus> done, Duration timeout) throws ClusterException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                SecurityStatus status = securityStatus(layout, manifest, node, lowestPhase);
                if (done.test(status)) {
                    return;
                }
                last = "phase " + status.getPhase() + ", certificate " + status.getCertificateSerial();
            } catch (ClusterException e) {
                last = e.getMessage();
            }
            Thread.sleep(200);
        }
        throw new ClusterException(node.name() + " did not confirm that it " + what + " within " + timeout.toSeconds()
                + " s (" + last + "); see " + ClusterLayout.log(layout.nodeDir(node.name())));
    }

    private static ClusterException failure(ClusterManifest.Node node, String what, StatusRuntimeException e) {
        return new ClusterException(node.name() + ": " + what + ": " + e.getStatus().getCode() + " "
                + e.getStatus().getDescription());
    }
}
