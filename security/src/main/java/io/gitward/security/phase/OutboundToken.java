package io.gitward.security.phase;

/** When this node sends its token on calls it makes. */
public enum OutboundToken {
    ALWAYS,
    PLAINTEXT_ONLY,
    NEVER
}
