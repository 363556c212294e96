package io.gitward.security.runtime;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** {@code reloads_total{material,result}}: successful and refused reloads per kind of material. */
public final class ReloadCounters {
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    void success(String material) {
        counts.computeIfAbsent(material + "|ok", key -> new LongAdder()).increment();
    }

    void failure(String material) {
        counts.computeIfAbsent(material + "|refused", key -> new LongAdder()).increment();
    }

    public long refused(String material) {
        LongAdder adder = counts.get(material + "|refused");
        return adder == null ? 0 : adder.sum();
    }

    public long succeeded(String material) {
        LongAdder adder = counts.get(material + "|ok");
        return adder == null ? 0 : adder.sum();
    }

    public Map<String, Long> snapshot() {
        Map<String, Long> result = new TreeMap<>();
        counts.forEach((key, adder) -> result.put(key, adder.sum()));
        return result;
    }
}
