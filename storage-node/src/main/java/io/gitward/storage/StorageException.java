package io.gitward.storage;

import static java.util.Objects.requireNonNull;

/** A refused storage operation; {@link Kind} maps to a gRPC status in one place ({@code grpc.Statuses}). */
public final class StorageException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Kinds of refusal. */
    public enum Kind {
        NOT_FOUND,
        ALREADY_EXISTS,
        INVALID_ARGUMENT,
        FAILED_PRECONDITION,
        PERMISSION_DENIED,
        ABORTED,
        UNAVAILABLE,
        RESOURCE_EXHAUSTED,
        INTERNAL
    }

    private final Kind kind;

    public StorageException(Kind kind, String message) {
        super(message);
        this.kind = requireNonNull(kind, "kind");
    }

    public StorageException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }

    public static StorageException invalid(String message) {
        return new StorageException(Kind.INVALID_ARGUMENT, message);
    }

    public static StorageException failed(String message) {
        return new StorageException(Kind.FAILED_PRECONDITION, message);
    }

    public static StorageException notFound(String message) {
        return new StorageException(Kind.NOT_FOUND, message);
    }
}
