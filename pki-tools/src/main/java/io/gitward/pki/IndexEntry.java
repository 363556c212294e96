package io.gitward.pki;

/**
 * One certificate the CA signed, in {@code ca/index.json}.
 *
 * @param serial           lower-case hex
 * @param kind             "root", "intermediate" or "leaf"
 * @param identity         SPIFFE ID of a leaf; null for CA certificates
 * @param issuer           "self", "root" or "intermediate"
 * @param source           "init", "issue", "sign", "renew"
 * @param revokedAt        ISO-8601 instant, or null while valid
 * @param revocationReason RFC 5280 reason name, or null
 */
public record IndexEntry(String serial, String kind, String identity, String role, String name, String keyType,
        String issuer, String notBefore, String notAfter, String sha256, String issuedAt, String source,
        String revokedAt, String revocationReason) {

    public boolean revoked() {
        return revokedAt != null;
    }

    IndexEntry revoke(String at, String reason) {
        return new IndexEntry(serial, kind, identity, role, name, keyType, issuer, notBefore, notAfter, sha256,
                issuedAt, source, at, reason);
    }
}
