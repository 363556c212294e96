package io.gitward.security.tls;

/** Key or certificate files that cannot serve as a node's identity; the message names the files. */
public final class KeyMaterialException extends Exception {
    private static final long serialVersionUID = 1L;

    public KeyMaterialException(String message) {
        super(message);
    }
}
