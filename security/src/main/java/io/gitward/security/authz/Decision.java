package io.gitward.security.authz;

import io.grpc.Status;

/**
 * The verdict on one call. {@code allowed} calls proceed; {@code wouldDeny} marks an audit-mode call the
 * policy would have refused.
 */
public record Decision(boolean allowed, boolean wouldDeny, Status.Code code, String reason) {
    public static final Decision ALLOW = new Decision(true, false, Status.Code.OK, "");

    public static Decision wouldDeny(String reason) {
        return new Decision(true, true, Status.Code.OK, reason);
    }

    public static Decision unauthenticated(String reason) {
        return new Decision(false, false, Status.Code.UNAUTHENTICATED, reason);
    }

    public static Decision permissionDenied(String reason) {
        return new Decision(false, false, Status.Code.PERMISSION_DENIED, reason);
    }

    /** Audit label: allow, deny or would-deny. */
    public String auditLabel() {
        if (!allowed) {
            return "deny";
        }
        return wouldDeny ? "would-deny" : "allow";
    }
}
