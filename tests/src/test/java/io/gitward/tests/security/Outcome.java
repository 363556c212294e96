package io.gitward.tests.security;

/** What a caller experiences, the vocabulary of the outcome table. */
enum Outcome {
    OK,
    UNAUTHENTICATED,
    PERMISSION_DENIED,
    HANDSHAKE_REFUSED,
    CONNECTION_REFUSED,
    /** Anything else is a test failure; kept as a value so the assertion message shows it. */
    OTHER
}
