package io.gitward.security.x509;

/** A PEM file that is missing, unreadable or does not hold what it should. The message names the file. */
public final class PemException extends Exception {
    private static final long serialVersionUID = 1L;

    public PemException(String message) {
        super(message);
    }
}
