package io.gitward.security.token;

/** The result of checking a bearer token. Codes label the audit and metrics. */
public enum TokenVerdict {
    ABSENT("absent"),
    VALID("valid"),
    MALFORMED("malformed"),
    WRONG("wrong"),
    EXPIRED("expired"),
    REPLAYED("replayed"),
    REPLAY_CACHE_FULL("replay_cache_full"),
    /** Sent but not looked at (phase 6): counted so operators see who still sends tokens. */
    UNCHECKED("unchecked");

    private final String code;

    TokenVerdict(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
