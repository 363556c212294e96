package io.gitward.security.x509;

import static java.util.Objects.requireNonNull;

import java.security.cert.CertificateException;

/**
 * A peer certificate that failed validation. A {@link CertificateException} so that TLS trust
 * managers can throw it as is; the message names the certificate and never contains key material.
 */
public final class CertificateRejectedException extends CertificateException {
    private static final long serialVersionUID = 1L;

    private final RejectReason reason;

    public CertificateRejectedException(RejectReason reason, String message) {
        super(reason.code() + ": " + message);
        this.reason = requireNonNull(reason, "reason");
    }

    public RejectReason reason() {
        return reason;
    }
}
