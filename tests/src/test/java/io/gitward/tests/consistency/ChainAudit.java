package io.gitward.tests.consistency;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a branch grown by compare-and-swap appends against its final first-parent history: every acknowledged
 * append must be in that history (none missing), and an append acknowledged before another was issued must come
 * before it (none reordered). Independent of the linearizability search, and readable on its own: it names the
 * commit and the operation.
 */
final class ChainAudit {
    private ChainAudit() {
    }

    /**
     * @param appends the branch's operations (reads and failed appends are ignored)
     * @param history the branch's first-parent history, oldest first
     * @return the problems found, empty when none
     */
    static List<String> check(List<Operation> appends, List<String> history) {
        Map<String, Integer> position = new HashMap<>();
        for (int i = 0; i < history.size(); i++) {
            position.put(history.get(i), i);
        }
        List<Operation> acknowledged = appends.stream().filter(op -> op.kind() != Operation.Kind.READ
                && op.outcome() == Operation.Outcome.OK).sorted(Comparator.comparingLong(Operation::invoke)).toList();
        List<String> problems = new ArrayList<>();
        for (Operation op : acknowledged) {
            if (!position.containsKey(op.value())) {
                problems.add("missing: " + op + " acknowledged " + op.value() + ", which is not in the branch's history");
            }
        }
        // Answered before B was issued ⇒ earlier in the history than B.
        List<Operation> byResponse = acknowledged.stream().filter(op -> position.containsKey(op.value()))
                .sorted(Comparator.comparingLong(Operation::response)).toList();
        for (Operation later : acknowledged) {
            Integer laterPosition = position.get(later.value());
            if (laterPosition == null) {
                continue;
            }
            for (Operation earlier : byResponse) {
                if (earlier.response() >= later.invoke()) {
                    break;
                }
                if (position.get(earlier.value()) >= laterPosition) {
                    problems.add("reordered: " + earlier + " was acknowledged before " + later + " was issued, but its commit "
                            + "is at position " + position.get(earlier.value()) + " of the history and the later one at "
                            + laterPosition);
                }
            }
        }
        return problems;
    }
}
