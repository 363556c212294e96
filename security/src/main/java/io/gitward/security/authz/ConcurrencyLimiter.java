package io.gitward.security.authz;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many expensive calls each caller may run at once. Bounded: it tracks at most {@code maxCallers}
 * callers with calls in flight; callers with none are forgotten. Thread-safe.
 */
public final class ConcurrencyLimiter {
    private final int perCaller;
    private final int maxCallers;
    private final Map<String, AtomicInteger> inFlight = new LinkedHashMap<>();

    public ConcurrencyLimiter(int perCaller, int maxCallers) {
        this.perCaller = perCaller;
        this.maxCallers = maxCallers;
    }

    /** Takes a slot for {@code caller}; false when it already runs {@code perCaller} calls (or too many callers do). */
    public synchronized boolean tryAcquire(String caller) {
        AtomicInteger count = inFlight.get(caller);
        if (count == null) {
            if (inFlight.size() >= maxCallers) {
                return false;
            }
            count = new AtomicInteger();
            inFlight.put(caller, count);
        }
        if (count.get() >= perCaller) {
            return false;
        }
        count.incrementAndGet();
        return true;
    }

    public synchronized void release(String caller) {
        AtomicInteger count = inFlight.get(caller);
        if (count != null && count.decrementAndGet() <= 0) {
            inFlight.remove(caller);
        }
    }

    public int perCaller() {
        return perCaller;
    }

    public synchronized int inFlight(String caller) {
        AtomicInteger count = inFlight.get(caller);
        return count == null ? 0 : count.get();
    }
}
