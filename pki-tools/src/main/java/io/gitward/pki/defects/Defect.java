package io.gitward.pki.defects;

import java.util.Locale;

/**
 * One deliberate flaw in a client certificate. The expected outcome of each lives in the hand-written
 * outcome table (docs/outcome-table.md), never here, so the table stays an independent oracle.
 */
public enum Defect {
    EXPIRED,
    NOT_YET_VALID,
    WRONG_CA,
    SELF_SIGNED,
    LOOK_ALIKE_CA,
    REVOKED,
    UNKNOWN_ROLE,
    NO_SPIFFE_SAN,
    TWO_SPIFFE_SANS,
    SAN_SUBJECT_MISMATCH,
    MALFORMED_SPIFFE_PATH,
    PERCENT_ENCODED_SPIFFE_ID,
    UPPERCASE_TRUST_DOMAIN,
    MISSING_CLIENT_AUTH_EKU,
    NO_EKU,
    CA_TRUE_LEAF,
    NO_DIGITAL_SIGNATURE,
    NON_CA_INTERMEDIATE,
    PATH_LENGTH_VIOLATION,
    RSA_1024,
    SHA1_SIGNATURE,
    FOREIGN_TRUST_DOMAIN,
    CROSS_DOMAIN_BINDING,
    UNSUPPORTED_CRITICAL_EXTENSION,
    MISSING_INTERMEDIATE,
    EXPIRED_INTERMEDIATE,
    MULTI_VALUED_RDN;

    /** The name used in the outcome table and test names: lower case with dashes. */
    public String tableName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
