package io.gitward.tests.local;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.tests.SuiteSummary;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The named checks of one area of the suite: each is recorded, passed or not, so the area's {@code [suite]} line
 * counts them all even when one fails; the test fails afterwards, naming every failed check.
 */
final class AreaChecks {
    private final String area;
    private final Map<String, Boolean> checks = new LinkedHashMap<>();

    AreaChecks(String area) {
        this.area = area;
    }

    void check(String name, boolean passed, String detail) {
        checks.put(name + (passed ? "" : ": " + detail), passed);
        System.out.println("[check] " + area + ": " + (passed ? "ok   " : "FAIL ") + name + (passed ? "" : ": " + detail));
    }

    void record(Map<String, String> figures) {
        int passed = (int) checks.values().stream().filter(Boolean::booleanValue).count();
        SuiteSummary.record(area, checks.size(), passed, checks.size() - passed, figures);
    }

    void assertPassed() {
        List<String> failed = checks.entrySet().stream().filter(check -> !check.getValue()).map(Map.Entry::getKey).toList();
        assertTrue(failed.isEmpty(), area + ": failed checks: " + failed);
    }
}
