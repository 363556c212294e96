package io.gitward.tests.auth;

import io.grpc.Status;
import java.net.ConnectException;
import java.util.Locale;
import javax.net.ssl.SSLException;

/** How a call ended, in the outcome table's words. */
final class Verdicts {
    static final String OK = "OK";
    static final String HANDSHAKE_REFUSED = "HANDSHAKE_REFUSED";
    static final String CONNECTION_REFUSED = "CONNECTION_REFUSED";

    private Verdicts() {
    }

    /**
     * OK when the status is one only {@code rpc}'s handler gives (so the call passed authorization), else what refused
     * it. A refusal by the transport counts only when it happened here, at the caller (a status with a local cause):
     * an UNAVAILABLE relayed by a node is never taken for a refused handshake or connection.
     */
    static String of(Status status, RealRpc rpc) {
        if (rpc != null && rpc.passedAuthorization(status)) {
            return OK;
        }
        switch (status.getCode()) {
            case UNAUTHENTICATED, PERMISSION_DENIED, UNIMPLEMENTED -> {
                return status.getCode().name();
            }
            case UNAVAILABLE -> {
                for (Throwable cause = status.getCause(); cause != null; cause = cause.getCause()) {
                    if (cause instanceof ConnectException) {
                        return CONNECTION_REFUSED;
                    }
                    if (cause instanceof SSLException) {
                        return HANDSHAKE_REFUSED;
                    }
                }
                String description = String.valueOf(status.getDescription()).toLowerCase(Locale.ROOT);
                if (status.getCause() != null && (description.contains("ssl") || description.contains("tls")
                        || description.contains("handshake"))) {
                    return HANDSHAKE_REFUSED;
                }
                return other(status);
            }
            default -> {
                return other(status);
            }
        }
    }

    private static String other(Status status) {
        return "OTHER " + status.getCode() + " (" + status.getDescription() + ")";
    }
}
