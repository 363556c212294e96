package io.gitward.tests.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gitward.proxy.route.Router;
import io.gitward.proxy.route.WriteOutcome;
import io.gitward.proxy.store.RepositoryState;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a finished write does to the generations: only replicas that applied it move up. */
class WriteOutcomeTest {
    private static final RepositoryState BEFORE = new RepositoryState("a.git", "storage-1",
            Map.of("storage-1", 7L, "storage-2", 7L, "storage-3", 6L));
    private static final Router.WritePlan PLAN = new Router.WritePlan("storage-1", List.of("storage-1", "storage-2"),
            Set.of("storage-3"), false);

    @Test
    void replicasThatCommittedMoveToTheNextGeneration() {
        WriteOutcome.Changes changes = WriteOutcome.compute(BEFORE, PLAN, Set.of("storage-1", "storage-2"),
                Map.of("storage-1", true, "storage-2", true), Set.of());
        assertEquals(Map.of("storage-1", 8L, "storage-2", 8L), changes.generations());
        assertEquals("storage-1", changes.primary());
        assertEquals(Set.of("storage-3"), changes.behind());
    }

    @Test
    void aSecondaryThatDidNotCommitFallsBehind() {
        WriteOutcome.Changes changes = WriteOutcome.compute(BEFORE, PLAN, Set.of("storage-1"),
                Map.of("storage-1", true, "storage-2", false), Set.of());
        assertEquals(Map.of("storage-1", 8L), changes.generations());
        assertEquals(Set.of("storage-2", "storage-3"), changes.behind());
    }

    @Test
    void whenThePrimaryDidNotCommitAReplicaThatDidBecomesPrimary() {
        WriteOutcome.Changes changes = WriteOutcome.compute(BEFORE, PLAN, Set.of("storage-2"),
                Map.of("storage-1", false, "storage-2", true), Set.of());
        assertEquals("storage-2", changes.primary());
        assertEquals(Set.of("storage-1", "storage-3"), changes.behind());
    }

    @Test
    void aWriteWithoutVotesChangesNothingButMarksDisagreeingParticipantsForRebuild() {
        WriteOutcome.Changes agreed = WriteOutcome.compute(BEFORE, PLAN, Set.of(),
                Map.of("storage-1", false, "storage-2", false), Set.of());
        assertEquals(Map.of(), agreed.generations(), "a refused write (e.g. a failed precondition) changes nothing");
        assertEquals(Set.of("storage-3"), agreed.behind());

        WriteOutcome.Changes disagreed = WriteOutcome.compute(BEFORE, PLAN, Set.of(),
                Map.of("storage-1", true, "storage-2", false), Set.of());
        assertEquals(Map.of("storage-2", -1L), disagreed.generations());
        assertEquals(Set.of("storage-2", "storage-3"), disagreed.behind());
    }

    @Test
    void replicasLeftOutOfACreationAreRebuilt() {
        RepositoryState created = new RepositoryState("b.git", "storage-1", Map.of("storage-1", 0L, "storage-2", 0L,
                "storage-3", 0L));
        WriteOutcome.Changes changes = WriteOutcome.compute(created, PLAN, Set.of(), Map.of("storage-1", true,
                "storage-2", true), Set.of("storage-3"));
        assertEquals(Map.of("storage-3", -1L), changes.generations());
        assertEquals(Set.of("storage-3"), changes.behind());
        assertEquals("storage-1", changes.primary());
    }
}
