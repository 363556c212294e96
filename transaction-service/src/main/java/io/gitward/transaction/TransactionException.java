package io.gitward.transaction;

import static java.util.Objects.requireNonNull;

/** A refused transaction operation; {@link Kind} says which status it maps to (one mapper, in the adapter). */
public final class TransactionException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The kinds of refusal. */
    public enum Kind {
        NOT_FOUND,
        INVALID_ARGUMENT,
        FAILED_PRECONDITION,
        PERMISSION_DENIED,
        RESOURCE_EXHAUSTED
    }

    private final Kind kind;

    public TransactionException(Kind kind, String message) {
        super(message);
        this.kind = requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }
}
