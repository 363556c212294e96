package io.gitward.security.files;

import java.io.IOException;

/** A secret file whose permissions would let another user read it. */
public final class InsecureFileException extends IOException {
    private static final long serialVersionUID = 1L;

    public InsecureFileException(String message) {
        super(message);
    }
}
