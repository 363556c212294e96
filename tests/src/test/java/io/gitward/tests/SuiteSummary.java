package io.gitward.tests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One line per area of the consistency and auth suite: printed as {@code [suite] area=... cases=... passed=...
 * failed=... k=v ...} and appended to {@code target/suite-summary.txt} of the tests module, from which the summary
 * table is made at the end of the run.
 */
public final class SuiteSummary {
    /** Relative to the tests module, where failsafe and surefire run. */
    public static final Path FILE = Path.of("target", "suite-summary.txt");

    private SuiteSummary() {
    }

    /** Figures in the order given: key, value, key, value, ... */
    public static Map<String, String> figures(String... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("figures: " + keysAndValues.length + " strings (expected: key, value pairs)");
        }
        Map<String, String> figures = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            figures.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return figures;
    }

    /** Records one area's result; figures keep their insertion order and must not contain spaces in keys. */
    public static synchronized void record(String area, int cases, int passed, int failed, Map<String, String> figures) {
        String line = "[suite] area=" + area.replace(' ', '-') + " cases=" + cases + " passed=" + passed + " failed="
                + failed + (figures.isEmpty() ? "" : " " + figures.entrySet().stream()
                        .map(entry -> entry.getKey() + "=" + entry.getValue().replace(' ', '_'))
                        .collect(Collectors.joining(" ")));
        System.out.println(line);
        try {
            Files.createDirectories(FILE.getParent());
            Files.writeString(FILE, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + FILE.toAbsolutePath(), e);
        }
    }
}
