package io.gitward.tests.consistency;

import static java.util.Objects.requireNonNull;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Decides whether a history of operations on registers with compare-and-swap is linearizable, one register (key)
 * at a time: a depth-first search for a total order that respects real time (an operation that answered before
 * another was invoked comes first) and the register's semantics, in the manner of Wing &amp; Gong with Lowe's
 * memoisation of visited (linearized set, value) configurations. Operations with an unknown outcome may be placed
 * anywhere after their invoke, or left out; failed operations and unanswered reads are ignored. A register starts
 * absent ({@code null}).
 *
 * <p>When a key is not linearizable the result explains why: the deepest point the search reached (how many
 * operations fit, the register's value there, and why each possible next operation does not fit) and a 1-minimal
 * set of operations that is still not linearizable (removing any one of them makes it linearizable).
 *
 * <p>Stateless and thread-safe; each search is bounded by a number of visited configurations, beyond which the key
 * is reported inconclusive rather than searched forever.
 */
public final class LinearizabilityChecker {
    private static final int SHRINK_CHECKS = 3_000;
    /** The value left by an operation whose value nobody observed (see {@link Search}). */
    static final String UNOBSERVED = "(a value written by an unknown operation and never observed)";

    private final long budget;

    /** @param budget the most configurations one search of one key may visit */
    public LinearizabilityChecker(long budget) {
        if (budget <= 0) {
            throw new IllegalArgumentException("budget: " + budget + " (expected: > 0)");
        }
        this.budget = budget;
    }

    /**
     * A budget that fits the tests' heap (512 MB: a configuration with its bit sets and set entry costs a few hundred
     * bytes); real histories need a few thousand configurations.
     */
    public LinearizabilityChecker() {
        this(400_000);
    }

    /** The verdict of one key. */
    public enum Verdict { LINEARIZABLE, NOT_LINEARIZABLE, INCONCLUSIVE }

    /**
     * @param operations the key's relevant operations (failed ones and unanswered reads left out)
     * @param visited    configurations the search visited
     * @param why        empty when linearizable; otherwise the deepest point and the minimal offending set
     * @param offending  a 1-minimal non-linearizable subset (empty unless NOT_LINEARIZABLE)
     */
    public record KeyResult(String key, Verdict verdict, int operations, long visited, String why,
            List<Operation> offending) {
    }

    /** Every key's result, in key order. */
    public record Result(List<KeyResult> keys) {
        public boolean linearizable() {
            return keys.stream().allMatch(key -> key.verdict() == Verdict.LINEARIZABLE);
        }

        /** One paragraph per key that is not linearizable (or could not be decided). */
        public String explanation() {
            return keys.stream().filter(key -> key.verdict() != Verdict.LINEARIZABLE)
                    .map(key -> key.key() + ": " + key.verdict() + "\n" + key.why()).collect(Collectors.joining("\n"));
        }
    }

    public Result check(List<Operation> history) {
        requireNonNull(history, "history");
        Map<String, List<Operation>> byKey = new TreeMap<>();
        Set<Integer> ids = new HashSet<>();
        Map<String, List<Operation>> byClient = new TreeMap<>();
        for (Operation operation : history) {
            if (!ids.add(operation.id())) {
                throw new IllegalArgumentException("history: operation id " + operation.id() + " appears twice");
            }
            byClient.computeIfAbsent(operation.client(), c -> new ArrayList<>()).add(operation);
            if (!operation.irrelevant()) {
                byKey.computeIfAbsent(operation.key(), k -> new ArrayList<>()).add(operation);
            } else {
                byKey.computeIfAbsent(operation.key(), k -> new ArrayList<>());
            }
        }
        byClient.values().forEach(LinearizabilityChecker::checkSequential);
        List<KeyResult> results = new ArrayList<>();
        byKey.forEach((key, operations) -> results.add(checkKey(key, operations)));
        return new Result(List.copyOf(results));
    }

    /** A client is sequential: each of its operations is invoked after the previous one answered (or was abandoned). */
    private static void checkSequential(List<Operation> operations) {
        List<Operation> sorted = new ArrayList<>(operations);
        sorted.sort(Comparator.comparingLong(Operation::invoke));
        for (int i = 1; i < sorted.size(); i++) {
            Operation previous = sorted.get(i - 1);
            if (previous.outcome() != Operation.Outcome.UNKNOWN && previous.response() > sorted.get(i).invoke()) {
                throw new IllegalArgumentException("history: client " + previous.client() + " has overlapping operations "
                        + previous + " and " + sorted.get(i));
            }
        }
    }

    private KeyResult checkKey(String key, List<Operation> operations) {
        Search search = new Search(operations, budget);
        Verdict verdict = search.run();
        if (verdict != Verdict.NOT_LINEARIZABLE) {
            String why = verdict == Verdict.INCONCLUSIVE ? "gave up after " + search.visited + " configurations" : "";
            return new KeyResult(key, verdict, operations.size(), search.visited, why, List.of());
        }
        List<Operation> offending = shrink(search.operations);
        Search minimal = new Search(offending, budget);
        minimal.run();
        String why = "deepest point of the search over all " + operations.size() + " operations: " + search.deepest()
                + "\nminimal offending set (" + offending.size() + " operations, removing any one makes it linearizable):\n  "
                + offending.stream().map(Operation::toString).collect(Collectors.joining("\n  "))
                + "\nwithin it: " + minimal.deepest();
        return new KeyResult(key, verdict, operations.size(), search.visited, why, offending);
    }

    /**
     * Delta debugging: drop chunks, then single operations, while the rest stays non-linearizable and still contains
     * a writer of every value it reads or expects (otherwise "a read of A" alone would be the answer, true but
     * useless: the interesting set is the one that shows where A came from and what should have replaced it).
     */
    private List<Operation> shrink(List<Operation> failing) {
        Set<String> written = new HashSet<>();
        failing.stream().filter(op -> !op.observesOnly()).forEach(op -> written.add(op.value()));
        List<Operation> current = new ArrayList<>(failing);
        int checks = 0;
        for (int chunk = Math.max(1, current.size() / 2); chunk >= 1 && checks < SHRINK_CHECKS; chunk /= 2) {
            for (int start = 0; start < current.size() && checks < SHRINK_CHECKS; ) {
                List<Operation> without = new ArrayList<>(current.subList(0, start));
                without.addAll(current.subList(Math.min(current.size(), start + chunk), current.size()));
                checks++;
                if (!without.isEmpty() && explained(without, written)
                        && new Search(without, budget).run() == Verdict.NOT_LINEARIZABLE) {
                    current = without;
                } else {
                    start += chunk;
                }
            }
            if (chunk == 1) {
                break;
            }
        }
        return List.copyOf(current);
    }

    /** Every value the operations read or expect that someone in the history wrote is written by one of them. */
    private static boolean explained(List<Operation> operations, Set<String> written) {
        Set<String> writes = new HashSet<>();
        operations.stream().filter(op -> !op.observesOnly()).forEach(op -> writes.add(op.value()));
        for (Operation operation : operations) {
            String needed = operation.kind() == Operation.Kind.READ ? operation.value()
                    : operation.kind() == Operation.Kind.CAS && operation.outcome() != Operation.Outcome.MISMATCH
                    ? operation.expected() : null;
            if (needed != null && written.contains(needed) && !writes.contains(needed)) {
                return false;
            }
        }
        return true;
    }

    /**
     * One depth-first search over one key's operations.
     *
     * <p>Operations of unknown outcome whose value nobody observes (no read returns it, no CAS expects it) are
     * "optional": placing any of them leaves the register at a value that no later read or CAS can tell apart from
     * another such value. A long outage makes many of them from one value (clients retrying), and exploring each
     * one's future separately made the search exponential. So their values count as one ({@link #UNOBSERVED}) and
     * configurations that differ only in which optional operations were placed are visited once.
     */
    private static final class Search {
        private final List<Operation> operations;
        private final long budget;
        private final int confirmed;
        private final Set<String> observed = new HashSet<>();
        /** Indices of the optional operations (unknown outcome, value never observed). */
        private final BitSet optional = new BitSet();
        private final Set<Configuration> seen = new HashSet<>();
        private long visited;
        private int deepestCount = -1;
        private Configuration deepest;

        Search(List<Operation> operations, long budget) {
            List<Operation> sorted = new ArrayList<>(operations);
            sorted.sort(Comparator.comparingLong(Operation::invoke).thenComparingInt(Operation::id));
            this.operations = List.copyOf(sorted);
            this.budget = budget;
            this.confirmed = (int) sorted.stream().filter(Operation::confirmed).count();
            for (Operation op : sorted) {
                if (op.kind() == Operation.Kind.READ && op.outcome() == Operation.Outcome.OK) {
                    observed.add(op.value());
                } else if (op.kind() == Operation.Kind.CAS) {
                    observed.add(op.expected());
                }
            }
            for (int i = 0; i < this.operations.size(); i++) {
                Operation op = this.operations.get(i);
                if (op.outcome() == Operation.Outcome.UNKNOWN && !op.observesOnly() && !observed.contains(op.value())) {
                    optional.set(i);
                }
            }
        }

        private Configuration place(Configuration from, int index) {
            Operation operation = operations.get(index);
            BitSet linearized = (BitSet) from.linearized.clone();
            linearized.set(index);
            BitSet memo = (BitSet) linearized.clone();
            memo.andNot(optional);
            return new Configuration(linearized, memo, optional.get(index) ? UNOBSERVED : operation.apply(from.value),
                    from.done + (operation.confirmed() ? 1 : 0));
        }

        Verdict run() {
            Deque<Configuration> stack = new ArrayDeque<>();
            push(stack, new Configuration(new BitSet(), new BitSet(), null, 0));
            while (!stack.isEmpty()) {
                Configuration configuration = stack.pop();
                if (configuration.done == confirmed) {
                    return Verdict.LINEARIZABLE;
                }
                if (++visited > budget) {
                    return Verdict.INCONCLUSIVE;
                }
                List<Integer> candidates = candidates(configuration);
                // A candidate that only observes and fits now can go first in some linearization if any exists:
                // taking it alone is enough (it changes no value and only relaxes the real-time constraints).
                Integer observer = candidates.stream().filter(i -> operations.get(i).observesOnly()
                        && operations.get(i).fits(configuration.value)).findFirst().orElse(null);
                List<Integer> next = observer != null ? List.of(observer) : candidates;
                for (int k = next.size() - 1; k >= 0; k--) {
                    if (operations.get(next.get(k)).fits(configuration.value)) {
                        push(stack, place(configuration, next.get(k)));
                    }
                }
            }
            return Verdict.NOT_LINEARIZABLE;
        }

        private void push(Deque<Configuration> stack, Configuration configuration) {
            if (seen.add(configuration)) {
                if (configuration.done > deepestCount) {
                    deepestCount = configuration.done;
                    deepest = configuration;
                }
                stack.push(configuration);
            }
        }

        /** Operations not yet placed that no unplaced confirmed operation must precede in real time. */
        private List<Integer> candidates(Configuration configuration) {
            long firstResponse = Long.MAX_VALUE;
            for (int i = configuration.linearized.nextClearBit(0); i < operations.size();
                    i = configuration.linearized.nextClearBit(i + 1)) {
                Operation operation = operations.get(i);
                if (operation.invoke() > firstResponse) {
                    break; // sorted by invoke: nothing later can go next either
                }
                if (operation.confirmed()) {
                    firstResponse = Math.min(firstResponse, operation.response());
                }
            }
            List<Integer> candidates = new ArrayList<>();
            for (int i = configuration.linearized.nextClearBit(0); i < operations.size();
                    i = configuration.linearized.nextClearBit(i + 1)) {
                if (operations.get(i).invoke() > firstResponse) {
                    break;
                }
                candidates.add(i);
            }
            return candidates;
        }

        /** Where the search got furthest, and why nothing could follow. */
        String deepest() {
            Configuration at = deepest;
            StringBuilder text = new StringBuilder(at.done + " of " + confirmed + " confirmed operations placed, value "
                    + Operation.show(at.value) + "; no next operation fits:");
            for (int i : candidates(at)) {
                Operation operation = operations.get(i);
                if (operation.confirmed() || operation.fits(at.value)) {
                    text.append("\n    ").append(operation).append(operation.fits(at.value)
                            ? " (fits, but every order from there fails)" : " (the value is " + Operation.show(at.value) + ")");
                }
            }
            List<Operation> placed = at.linearized.stream().mapToObj(operations::get).toList();
            int shown = Math.min(placed.size(), 4);
            if (shown > 0) {
                text.append("\n    placed so far (invoke order, last 4): ").append(placed.subList(placed.size() - shown,
                        placed.size()).stream().map(op -> "#" + op.id()).collect(Collectors.joining(", ")));
            }
            return text.toString();
        }
    }

    /**
     * Placed operations (indices), the same without the optional ones (what equality compares), the value they leave
     * and how many of them are confirmed.
     */
    private record Configuration(BitSet linearized, BitSet memo, String value, int done) {
        @Override
        public boolean equals(Object other) {
            return other instanceof Configuration that && memo.equals(that.memo) && Objects.equals(value, that.value);
        }

        @Override
        public int hashCode() {
            return 31 * memo.hashCode() + Objects.hashCode(value);
        }
    }
}
