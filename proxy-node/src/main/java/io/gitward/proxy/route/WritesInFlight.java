package io.gitward.proxy.route;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Repositories this proxy is writing to right now. While a write is in flight its replicas apply it one by one,
 * so reads of that repository go to the primary: a reader never sees the write on one replica and then not on
 * the next.
 */
public final class WritesInFlight {
    private final ConcurrentHashMap<String, AtomicInteger> writes = new ConcurrentHashMap<>();

    public void begin(String relativePath) {
        writes.computeIfAbsent(relativePath, path -> new AtomicInteger()).incrementAndGet();
    }

    public void end(String relativePath) {
        writes.computeIfPresent(relativePath, (path, count) -> count.decrementAndGet() == 0 ? null : count);
    }

    public boolean active(String relativePath) {
        return writes.containsKey(relativePath);
    }
}
