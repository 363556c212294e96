package io.gitward.transaction;

/** What a voter is told to do. */
public enum Outcome {
    COMMIT,
    ABORT,
    STOP
}
