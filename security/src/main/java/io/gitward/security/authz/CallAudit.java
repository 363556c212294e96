package io.gitward.security.authz;

import static java.util.Objects.requireNonNull;

import io.gitward.security.audit.AuditLog;
import io.gitward.security.audit.SecurityMetrics;
import io.gitward.security.phase.AuthorizationMode;
import io.gitward.security.phase.PhaseFlags;
import io.gitward.security.phase.TokenPolicy;
import io.grpc.Status;

/**
 * Records one authorization decision, whatever protocol carried the call: the audit key (principal, transport,
 * credential, scope, decision) and the authentication metric. gRPC and the HTTP operator endpoints share one
 * instance, so the audit and {@code gitward_calls_total} show both. Thread-safe.
 */
public final class CallAudit {
    /** Audit transport prefix of calls that came over the HTTP operator endpoints ("http-mtls"). */
    public static final String HTTP_PREFIX = "http-";

    private final AuditLog audit;
    private final SecurityMetrics metrics;

    public CallAudit(AuditLog audit, SecurityMetrics metrics) {
        this.audit = requireNonNull(audit, "audit");
        this.metrics = requireNonNull(metrics, "metrics");
    }

    /**
     * @param transport the audit transport: {@link Transport#code()}, prefixed with {@link #HTTP_PREFIX} for HTTP
     * @param scope     the scope name, or "UNKNOWN" for a method or path without one
     */
    public void record(Caller caller, String transport, String scope, Decision decision, PhaseFlags flags) {
        audit.record(new AuditLog.Key(caller.principal(), transport, caller.credential(), scope, decision.auditLabel()));
        boolean enforced = flags.authorization() == AuthorizationMode.ENFORCE || flags.tokens() != TokenPolicy.TRANSITIONING;
        String status = !decision.allowed()
                ? (decision.code() == Status.Code.UNAUTHENTICATED ? "unauthenticated" : "denied")
                : decision.wouldDeny() ? "would-deny" : "ok";
        metrics.authentication(enforced, status);
    }
}
