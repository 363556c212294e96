package io.gitward.security.x509;

import io.gitward.security.identity.IdentityProblem;

/**
 * Why a peer certificate was refused. The codes are stable: they label
 * {@code tls_handshake_failures{reason}}, appear in the outcome table and in {@code pki verify}.
 */
public enum RejectReason {
    NO_CERTIFICATE("no_certificate"),
    MALFORMED_CERTIFICATE("malformed_certificate"),
    EXPIRED("expired"),
    NOT_YET_VALID("not_yet_valid"),
    UNTRUSTED_ISSUER("untrusted_issuer"),
    FOREIGN_TRUST_DOMAIN("foreign_trust_domain"),
    REVOKED("revoked"),
    CRL_MISSING("crl_missing"),
    CRL_STALE("crl_stale"),
    CRL_INVALID("crl_invalid"),
    NO_SPIFFE_ID("no_spiffe_id"),
    MULTIPLE_SPIFFE_IDS("multiple_spiffe_ids"),
    MALFORMED_SPIFFE_ID("malformed_spiffe_id"),
    MALFORMED_SUBJECT("malformed_subject"),
    SUBJECT_MISMATCH("subject_mismatch"),
    UNKNOWN_ROLE("unknown_role"),
    INVALID_NAME("invalid_name"),
    INVALID_TRUST_DOMAIN("invalid_trust_domain"),
    MISSING_EXTENDED_KEY_USAGE("missing_eku"),
    LEAF_IS_CA("leaf_is_ca"),
    KEY_USAGE("key_usage"),
    ISSUER_NOT_CA("issuer_not_ca"),
    PATH_LENGTH("path_length"),
    WEAK_KEY("weak_key"),
    WEAK_SIGNATURE("weak_signature"),
    UNSUPPORTED_CRITICAL_EXTENSION("unsupported_critical_extension"),
    CHAIN_INVALID("chain_invalid"),
    NAME_CONSTRAINTS("name_constraints"),
    WRONG_ROLE("wrong_role"),
    WRONG_PEER("wrong_peer");

    private final String code;

    RejectReason(String code) {
        this.code = code;
    }

    /** The lower-snake-case code used in metrics, logs and the outcome table. */
    public String code() {
        return code;
    }

    static RejectReason of(IdentityProblem problem) {
        return switch (problem) {
            case NO_SPIFFE_ID -> NO_SPIFFE_ID;
            case MULTIPLE_SPIFFE_IDS -> MULTIPLE_SPIFFE_IDS;
            case MALFORMED_SPIFFE_ID -> MALFORMED_SPIFFE_ID;
            case MALFORMED_SUBJECT -> MALFORMED_SUBJECT;
            case SUBJECT_MISMATCH -> SUBJECT_MISMATCH;
            case UNKNOWN_ROLE -> UNKNOWN_ROLE;
            case INVALID_NAME -> INVALID_NAME;
            case INVALID_TRUST_DOMAIN -> INVALID_TRUST_DOMAIN;
        };
    }
}
