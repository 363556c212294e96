package io.gitward.tests.limits;

import java.util.ArrayList;
import java.util.List;

/**
 * Named checks evaluated to the end, so one run reports every failed expectation (and the suite line counts
 * them) instead of stopping at the first.
 */
final class Checks {
    private final List<String> failures = new ArrayList<>();
    private int count;

    /** Records {@code name} as passed when {@code ok}, else as failed with {@code detail}. */
    void check(String name, boolean ok, Object detail) {
        count++;
        if (!ok) {
            failures.add(name + ": " + detail);
        }
    }

    int count() {
        return count;
    }

    int failed() {
        return failures.size();
    }

    List<String> failures() {
        return List.copyOf(failures);
    }
}
