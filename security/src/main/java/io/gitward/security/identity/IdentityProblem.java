package io.gitward.security.identity;

/** Why a certificate's identity was not accepted. Stable codes: they label metrics and the outcome table. */
public enum IdentityProblem {
    NO_SPIFFE_ID("no_spiffe_id"),
    MULTIPLE_SPIFFE_IDS("multiple_spiffe_ids"),
    MALFORMED_SPIFFE_ID("malformed_spiffe_id"),
    MALFORMED_SUBJECT("malformed_subject"),
    SUBJECT_MISMATCH("subject_mismatch"),
    UNKNOWN_ROLE("unknown_role"),
    INVALID_NAME("invalid_name"),
    INVALID_TRUST_DOMAIN("invalid_trust_domain");

    private final String code;

    IdentityProblem(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
