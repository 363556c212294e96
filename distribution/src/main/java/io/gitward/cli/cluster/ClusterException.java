package io.gitward.cli.cluster;

/** A local-cluster command cannot go on; the message names the file or node and says what to do. */
public final class ClusterException extends Exception {
    private static final long serialVersionUID = 1L;

    public ClusterException(String message) {
        super(message);
    }

    public ClusterException(String message, Throwable cause) {
        super(message, cause);
    }
}
