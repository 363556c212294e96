package io.gitward.security.x509;

/** How a trust bundle's CRLs are applied to the certificates of a path. */
public enum RevocationPolicy {
    /** Every certificate below the trust anchor must be covered by a fresh CRL from its issuer (fail closed). */
    REQUIRE,
    /** Certificates are checked against a CRL when their issuer has one. */
    IF_PRESENT,
    /** No revocation checking. Only for bundles configured without CRLs in early phases. */
    OFF
}
