package io.gitward.security.audit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Lets a message through once per key per period; bounded (oldest keys forgotten first). Thread-safe. */
public final class RateLimitedLog {
    private final Duration period;
    private final Clock clock;
    private final Map<String, Instant> lastLogged;

    public RateLimitedLog(Duration period, int maxKeys, Clock clock) {
        this.period = period;
        this.clock = clock;
        this.lastLogged = new LinkedHashMap<>(64, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Instant> eldest) {
                return size() > maxKeys;
            }
        };
    }

    /** True when a message for {@code key} should be logged now. */
    public synchronized boolean shouldLog(String key) {
        Instant now = clock.instant();
        Instant last = lastLogged.get(key);
        if (last != null && now.isBefore(last.plus(period))) {
            return false;
        }
        lastLogged.put(key, now);
        return true;
    }
}
