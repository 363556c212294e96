package io.gitward.cli.client;

/** The client cannot do what was asked; the message says what and why, for one line on stderr. */
public final class ClientException extends Exception {
    private static final long serialVersionUID = 1L;

    public ClientException(String message) {
        super(message);
    }
}
