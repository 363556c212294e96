package io.gitward.security.identity;

/** Where a certificate's identity is read from. */
public enum IdentityMode {
    /** The SPIFFE URI SAN is authoritative; a subject, when present, must agree with it. */
    URI_SAN,
    /** For issuers that cannot write URI SANs: the subject's O/OU/CN; a URI SAN, if any, must still agree. */
    SUBJECT_ONLY
}
