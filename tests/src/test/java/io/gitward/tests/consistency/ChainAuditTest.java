package io.gitward.tests.consistency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChainAuditTest {
    private static Operation append(int id, String expected, String value, long invoke, long response,
            Operation.Outcome outcome) {
        return Operation.cas(id, "c" + id, "repo:refs/heads/chain", expected, value, invoke, response, outcome);
    }

    @Test
    void acknowledgedAppendsInTheirOrderPass() {
        List<Operation> ops = List.of(append(1, null, "a", 0, 10, Operation.Outcome.OK),
                append(2, "a", "b", 20, 30, Operation.Outcome.OK),
                append(3, "b", "x", 40, 50, Operation.Outcome.MISMATCH),
                append(4, "b", "c", 40, Long.MAX_VALUE, Operation.Outcome.UNKNOWN));
        assertEquals(List.of(), ChainAudit.check(ops, List.of("a", "b", "c")));
        assertEquals(List.of(), ChainAudit.check(ops, List.of("a", "b")), "an unknown append may be absent");
    }

    @Test
    void anAcknowledgedAppendMissingFromTheHistoryIsNamed() {
        List<Operation> ops = List.of(append(1, null, "a", 0, 10, Operation.Outcome.OK),
                append(2, "a", "b", 20, 30, Operation.Outcome.OK));
        List<String> problems = ChainAudit.check(ops, List.of("a"));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("missing: #2"), problems.get(0));
    }

    @Test
    void appendsAcknowledgedOneAfterTheOtherMustNotBeSwapped() {
        List<Operation> ops = List.of(append(1, null, "a", 0, 10, Operation.Outcome.OK),
                append(2, "a", "b", 20, 30, Operation.Outcome.OK));
        List<String> problems = ChainAudit.check(ops, List.of("b", "a"));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("reordered: #1"), problems.get(0));
    }

    @Test
    void overlappingAppendsMayLandInEitherOrder() {
        List<Operation> ops = List.of(append(1, null, "a", 0, 30, Operation.Outcome.OK),
                append(2, null, "b", 5, 40, Operation.Outcome.OK));
        assertEquals(List.of(), ChainAudit.check(ops, List.of("b", "a")));
        assertEquals(List.of(), ChainAudit.check(ops, List.of("a", "b")));
    }
}
