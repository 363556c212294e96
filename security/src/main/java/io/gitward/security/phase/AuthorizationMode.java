package io.gitward.security.phase;

/** Whether the scope-to-role policy is applied. */
public enum AuthorizationMode {
    OFF,
    /** Decide, count and log a would-deny, but let the call through. */
    AUDIT,
    ENFORCE
}
