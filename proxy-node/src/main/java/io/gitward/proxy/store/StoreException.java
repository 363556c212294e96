package io.gitward.proxy.store;

import static java.util.Objects.requireNonNull;

/** A store operation that could not be done; {@link Kind} says why. Messages never contain credentials. */
public final class StoreException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why the operation failed. */
    public enum Kind {
        NOT_FOUND,
        LOCK_TIMEOUT,
        UNAVAILABLE,
        INTERNAL
    }

    private final Kind kind;

    public StoreException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = requireNonNull(kind, "kind");
    }

    public StoreException(Kind kind, String message) {
        this(kind, message, null);
    }

    public Kind kind() {
        return kind;
    }
}
