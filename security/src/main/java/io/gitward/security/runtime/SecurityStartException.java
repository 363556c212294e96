package io.gitward.security.runtime;

/** Security material that cannot be loaded at start: a missing, unreadable, too open or mismatched file. */
public final class SecurityStartException extends Exception {
    private static final long serialVersionUID = 1L;

    public SecurityStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
