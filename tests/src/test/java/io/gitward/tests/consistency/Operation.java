package io.gitward.tests.consistency;

import static java.util.Objects.requireNonNull;

import java.util.Objects;

/**
 * One operation on one register (a reference) as a client saw it: what it asked, when it asked, when (if ever)
 * it got an answer, and what the answer proves. Values are opaque strings; {@code null} is "absent".
 *
 * @param id       unique within a history, used in explanations
 * @param client   who issued it (operations of one client never overlap)
 * @param key      the register: operations on different keys are checked independently
 * @param kind     read, blind write, or compare-and-swap
 * @param expected for {@link Kind#CAS}: the value it required
 * @param value    for a write or CAS: the value it stores; for an OK read: the value it returned
 * @param invoke   nanoseconds (any common origin) when the call was issued
 * @param response nanoseconds when the answer arrived; {@link Long#MAX_VALUE} when the outcome is unknown
 * @param outcome  what the answer proves
 */
public record Operation(int id, String client, String key, Kind kind, String expected, String value, long invoke,
        long response, Outcome outcome) {
    /** The operations a register supports. */
    public enum Kind { READ, WRITE, CAS }

    /** What the client may conclude from the answer. */
    public enum Outcome {
        /** Took effect exactly once between invoke and response (a read returned {@code value}). */
        OK,
        /** Definitely had no effect (refused before or without changing anything); observed nothing. */
        FAILED,
        /** A CAS refused because the register did not hold {@code expected} at some moment of its interval. */
        MISMATCH,
        /** May or may not have taken effect, at any moment after invoke (timeouts, lost connections, crashes). */
        UNKNOWN
    }

    public Operation {
        requireNonNull(client, "client");
        requireNonNull(key, "key");
        requireNonNull(kind, "kind");
        requireNonNull(outcome, "outcome");
        if (outcome == Outcome.UNKNOWN ? response != Long.MAX_VALUE : response < invoke) {
            throw new IllegalArgumentException("response: " + response + " (expected: >= invoke " + invoke
                    + ", and Long.MAX_VALUE exactly when the outcome is unknown)");
        }
        if (outcome == Outcome.MISMATCH && kind != Kind.CAS) {
            throw new IllegalArgumentException("outcome: MISMATCH for a " + kind + " (expected: only a CAS mismatches)");
        }
    }

    public static Operation read(int id, String client, String key, long invoke, long response, String returned) {
        return new Operation(id, client, key, Kind.READ, null, returned, invoke, response, Outcome.OK);
    }

    public static Operation write(int id, String client, String key, String value, long invoke, long response,
            Outcome outcome) {
        return new Operation(id, client, key, Kind.WRITE, null, value, invoke, end(response, outcome), outcome);
    }

    public static Operation cas(int id, String client, String key, String expected, String value, long invoke,
            long response, Outcome outcome) {
        return new Operation(id, client, key, Kind.CAS, expected, value, invoke, end(response, outcome), outcome);
    }

    private static long end(long response, Outcome outcome) {
        return outcome == Outcome.UNKNOWN ? Long.MAX_VALUE : response;
    }

    /** Must appear in every linearization (its effect or its observation was confirmed). */
    boolean confirmed() {
        return outcome == Outcome.OK || outcome == Outcome.MISMATCH;
    }

    /** Has nothing to say about the register: failed writes, and reads that got no answer. */
    boolean irrelevant() {
        return outcome == Outcome.FAILED || (kind == Kind.READ && outcome != Outcome.OK);
    }

    /** Changes nothing when linearized. */
    boolean observesOnly() {
        return kind == Kind.READ || outcome == Outcome.MISMATCH;
    }

    /** Whether it may take effect on a register holding {@code current}. */
    boolean fits(String current) {
        return switch (kind) {
            case READ -> Objects.equals(current, value);
            case WRITE -> true;
            case CAS -> outcome == Outcome.MISMATCH ? !Objects.equals(current, expected) : Objects.equals(current, expected);
        };
    }

    /** The register's value after this operation on {@code current} (which it {@link #fits}). */
    String apply(String current) {
        return observesOnly() ? current : value;
    }

    @Override
    public String toString() {
        String what = switch (kind) {
            case READ -> "read -> " + show(value);
            case WRITE -> "write(" + show(value) + ")";
            case CAS -> "cas(" + show(expected) + " -> " + show(value) + ")";
        };
        String end = response == Long.MAX_VALUE ? "?" : ms(response);
        return "#" + id + " " + client + " " + what + " " + outcome + " [" + ms(invoke) + ", " + end + "]";
    }

    static String show(String value) {
        if (value == null) {
            return "absent";
        }
        if (value.equals(LinearizabilityChecker.UNOBSERVED)) {
            return "unobserved";
        }
        return value.length() > 12 ? value.substring(0, 10) + ".." : value;
    }

    private static String ms(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1fms", nanos / 1e6);
    }
}
