package io.gitward.security.audit;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters beside the audit: authentications in Gitaly's {@code authentications_total{enforced,status}}
 * shape, token verdicts, stripped forwarded headers. Label values come from closed sets (bounded).
 */
public final class SecurityMetrics {
    private final Map<String, LongAdder> authentications = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> tokens = new ConcurrentHashMap<>();
    private final LongAdder forwardedHeadersStripped = new LongAdder();

    /**
     * @param enforced whether the decision could reject (false in audit/transitioning modes)
     * @param status   ok, unauthenticated, denied or would-deny
     */
    public void authentication(boolean enforced, String status) {
        authentications.computeIfAbsent(enforced + "|" + status, key -> new LongAdder()).increment();
    }

    public void token(String verdict) {
        tokens.computeIfAbsent(verdict, key -> new LongAdder()).increment();
    }

    public void forwardedHeaderStripped() {
        forwardedHeadersStripped.increment();
    }

    public Map<String, Long> authentications() {
        return snapshot(authentications);
    }

    public Map<String, Long> tokens() {
        return snapshot(tokens);
    }

    public long forwardedHeadersStripped() {
        return forwardedHeadersStripped.sum();
    }

    private static Map<String, Long> snapshot(Map<String, LongAdder> counters) {
        Map<String, Long> result = new TreeMap<>();
        counters.forEach((key, adder) -> result.put(key, adder.sum()));
        return result;
    }
}
