package io.gitward.security.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects every configuration problem before anything starts, each as
 * {@code path.to.key: what is wrong (expected: ...)}, so an operator fixes them all in one pass.
 */
public final class ConfigProblems {
    private final List<String> problems = new ArrayList<>();

    public void add(String key, String problem) {
        problems.add(key + ": " + problem);
    }

    public boolean isEmpty() {
        return problems.isEmpty();
    }

    public List<String> all() {
        return List.copyOf(problems);
    }

    /** Throws when any problem was found. */
    public void throwIfAny(String source) throws ConfigException {
        if (!problems.isEmpty()) {
            throw new ConfigException(source, problems);
        }
    }
}
