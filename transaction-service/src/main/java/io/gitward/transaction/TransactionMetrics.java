package io.gitward.transaction;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Transactions by outcome, voters outdated by reason, and how long PREPARED votes waited for their outcome,
 * in the Prometheus text format. Label values come from closed sets. Thread-safe.
 */
public final class TransactionMetrics {
    private static final double[] BUCKETS_SECONDS = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
        5, 10};

    private final Map<String, LongAdder> decisions = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> ended = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> outdated = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> bindingDenials = new ConcurrentHashMap<>();
    private final AtomicLongArray voteWait = new AtomicLongArray(BUCKETS_SECONDS.length + 1);
    private final LongAdder voteWaitNanos = new LongAdder();
    private final LongAdder votes = new LongAdder();

    void decided(boolean commit) {
        count(decisions, commit ? "commit" : "abort");
    }

    void ended(String state) {
        count(ended, state);
    }

    void outdated(String reason) {
        count(outdated, reason);
    }

    /** An identity-binding refusal: a vote as another node, or a non-owner touching a transaction. */
    public void bindingDenied(String what) {
        count(bindingDenials, what);
    }

    void voteWaited(long nanos) {
        votes.increment();
        voteWaitNanos.add(nanos);
        double seconds = nanos / 1e9;
        int bucket = 0;
        while (bucket < BUCKETS_SECONDS.length && seconds > BUCKETS_SECONDS[bucket]) {
            bucket++;
        }
        voteWait.incrementAndGet(bucket);
    }

    public Map<String, Long> bindingDenials() {
        return snapshot(bindingDenials);
    }

    public Map<String, Long> outdated() {
        return snapshot(outdated);
    }

    public Map<String, Long> decisions() {
        return snapshot(decisions);
    }

    public String prometheusText() {
        StringBuilder out = new StringBuilder();
        counter(out, "gitward_transactions_decided_total", "Transactions decided, by result.", "result", decisions);
        counter(out, "gitward_transactions_ended_total", "Transactions ended, by final state.", "state", ended);
        counter(out, "gitward_transaction_voters_outdated_total", "Voters not committing, by reason.", "reason", outdated);
        counter(out, "gitward_transaction_binding_denials_total",
                "Votes cast as another node, or transactions touched by a proxy that did not register them.", "what",
                bindingDenials);
        out.append("# HELP gitward_transaction_vote_wait_seconds Time a PREPARED vote waited for its outcome.\n");
        out.append("# TYPE gitward_transaction_vote_wait_seconds histogram\n");
        long cumulative = 0;
        for (int i = 0; i < BUCKETS_SECONDS.length; i++) {
            cumulative += voteWait.get(i);
            out.append("gitward_transaction_vote_wait_seconds_bucket{le=\"").append(BUCKETS_SECONDS[i]).append("\"} ")
                    .append(cumulative).append('\n');
        }
        cumulative += voteWait.get(BUCKETS_SECONDS.length);
        out.append("gitward_transaction_vote_wait_seconds_bucket{le=\"+Inf\"} ").append(cumulative).append('\n');
        out.append("gitward_transaction_vote_wait_seconds_sum ").append(voteWaitNanos.sum() / 1e9).append('\n');
        out.append("gitward_transaction_vote_wait_seconds_count ").append(votes.sum()).append('\n');
        return out.toString();
    }

    private static void counter(StringBuilder out, String name, String help, String label, Map<String, LongAdder> values) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" counter\n");
        for (Map.Entry<String, Long> entry : snapshot(values).entrySet()) {
            out.append(name).append('{').append(label).append("=\"").append(entry.getKey()).append("\"} ")
                    .append(entry.getValue()).append('\n');
        }
    }

    private static void count(Map<String, LongAdder> counters, String key) {
        counters.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    private static Map<String, Long> snapshot(Map<String, LongAdder> counters) {
        Map<String, Long> result = new TreeMap<>();
        counters.forEach((key, adder) -> result.put(key, adder.sum()));
        return result;
    }
}
