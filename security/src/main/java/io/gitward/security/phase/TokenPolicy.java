package io.gitward.security.phase;

/** What a node asks of the legacy bearer token, per phase (design.md section 4). */
public enum TokenPolicy {
    /** Phases 0–1: every caller must send a valid token. */
    REQUIRED,
    /** Like REQUIRED, but a missing or bad token is only logged and counted, never rejected. */
    TRANSITIONING,
    /** Phase 2: callers without a verified client certificate need a token. */
    REQUIRED_WITHOUT_CERT,
    /** Phases 3–4: only plaintext callers need a token (TLS callers present certificates). */
    REQUIRED_ON_PLAINTEXT,
    /** Phase 5: a token is checked if sent (a bad one is refused) but never needed. */
    VALIDATE_IF_SENT,
    /** Phase 6: tokens are never checked; a caller still sending one is counted. */
    IGNORED
}
