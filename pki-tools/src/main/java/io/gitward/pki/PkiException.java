package io.gitward.pki;

/**
 * An operation the CA refused. The message is one line that names the problem (file, key, value)
 * and the fix; the CLI prints it as is and exits non-zero.
 */
public final class PkiException extends Exception {
    private static final long serialVersionUID = 1L;

    public PkiException(String message) {
        super(message);
    }

    public PkiException(String message, Throwable cause) {
        super(message, cause);
    }
}
