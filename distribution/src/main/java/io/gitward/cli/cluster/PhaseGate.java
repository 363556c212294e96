package io.gitward.cli.cluster;

import io.gitward.proto.AuditRow;
import io.gitward.security.authz.CallAudit;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which callers a step up to the next phase would break, from the nodes' audits: TLS callers without a client
 * certificate before phase 3 (certificates become required), plaintext callers and callers the authorization
 * audit would deny before phase 5 (plaintext closes, authorization is enforced). Only calls seen at or after
 * {@code since} count, so callers that changed their ways (or node traffic from an earlier phase) do not block.
 * Steps down loosen and break nobody.
 */
final class PhaseGate {
    private PhaseGate() {
    }

    /** A caller that would break, on the node that saw it, and why. */
    record Blocker(String node, String principal, String transport, String credential, String scope, String decision,
            long count, String lastSeen, String reason) {
        String describe() {
            return principal + " calling " + node + " (" + transport + ", credential " + credential + ", scope " + scope
                    + ", " + decision + ", " + count + " calls, last " + lastSeen + "): " + reason;
        }
    }

    static List<Blocker> blockers(int next, Map<String, List<AuditRow>> audits, Instant since) {
        List<Blocker> blockers = new ArrayList<>();
        audits.forEach((node, rows) -> {
            for (AuditRow row : rows) {
                if (Instant.parse(row.getLastSeen()).isBefore(since) || row.getDecision().equals("deny")) {
                    continue;
                }
                String reason = reason(next, row);
                if (reason != null) {
                    blockers.add(new Blocker(node, row.getPrincipal(), row.getTransport(), row.getCredential(),
                            row.getScope(), row.getDecision(), row.getCount(), row.getLastSeen(), reason));
                }
            }
        });
        return blockers;
    }

    private static String reason(int next, AuditRow row) {
        // HTTP operator endpoints follow the same phase rules as gRPC: "http-plaintext" blocks phase 5 too.
        String transport = row.getTransport().startsWith(CallAudit.HTTP_PREFIX)
                ? row.getTransport().substring(CallAudit.HTTP_PREFIX.length()) : row.getTransport();
        if (next == 3 && transport.equals("tls")) {
            return "phase 3 requires a client certificate on TLS";
        }
        if (next == 5 && transport.equals("plaintext")) {
            return "phase 5 closes the plaintext listener";
        }
        if (next == 5 && row.getDecision().equals("would-deny")) {
            return "phase 5 enforces authorization, which would deny this call";
        }
        return null;
    }
}
