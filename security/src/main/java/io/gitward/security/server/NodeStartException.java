package io.gitward.security.server;

/** A node that could not start after its config passed: a port in use, an unwritable data directory. */
public final class NodeStartException extends Exception {
    private static final long serialVersionUID = 1L;

    public NodeStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
