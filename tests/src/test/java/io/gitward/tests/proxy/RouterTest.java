package io.gitward.tests.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proxy.route.Router;
import io.gitward.proxy.store.RepositoryState;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Which replicas serve reads and writes, and who becomes primary, from the recorded state and health. */
class RouterTest {
    private static final List<String> NODES = List.of("storage-1", "storage-2", "storage-3");
    private static final Predicate<String> ALL_HEALTHY = node -> true;

    private static RepositoryState state(String primary, long g1, long g2, long g3) {
        return new RepositoryState("a.git", primary, Map.of("storage-1", g1, "storage-2", g2, "storage-3", g3));
    }

    @Test
    void readsGoOnlyToHealthyUpToDateReplicasAndSpreadOverThem() throws Exception {
        RepositoryState state = state("storage-1", 4, 4, 3);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            seen.add(Router.readReplica(state, node -> !node.equals("storage-1"), false));
        }
        assertEquals(Set.of("storage-2"), seen, "storage-1 is down and storage-3 is behind");

        seen.clear();
        for (int i = 0; i < 200; i++) {
            seen.add(Router.readReplica(state, ALL_HEALTHY, false));
        }
        assertEquals(Set.of("storage-1", "storage-2"), seen);
    }

    @Test
    void readsThatMustSeeThePrimaryFailWhenItCannotServe() throws Exception {
        assertEquals("storage-1", Router.readReplica(state("storage-1", 4, 4, 4), ALL_HEALTHY, true));
        Router.NoReplicaException down = assertThrows(Router.NoReplicaException.class,
                () -> Router.readReplica(state("storage-1", 4, 4, 4), node -> !node.equals("storage-1"), true));
        assertTrue(down.getMessage().contains("storage-1 is down"), down.getMessage());
        Router.NoReplicaException behind = assertThrows(Router.NoReplicaException.class,
                () -> Router.readReplica(state("storage-1", 3, 4, 4), ALL_HEALTHY, true));
        assertTrue(behind.getMessage().contains("not up to date"), behind.getMessage());
    }

    @Test
    void writesGoToThePrimaryAndEveryHealthyUpToDateSecondary() throws Exception {
        Router.WritePlan plan = Router.writePlan(state("storage-2", 5, 5, 4), ALL_HEALTHY);
        assertEquals("storage-2", plan.primary());
        assertEquals(List.of("storage-2", "storage-1"), plan.participants());
        assertEquals(Set.of("storage-3"), plan.leftOut());
        assertFalse(plan.primaryChanged());
    }

    @Test
    void aPrimaryThatIsDownOrBehindIsReplacedByAnUpToDateReplica() throws Exception {
        Router.WritePlan down = Router.writePlan(state("storage-1", 5, 5, 5), node -> !node.equals("storage-1"));
        assertEquals("storage-2", down.primary());
        assertTrue(down.primaryChanged());
        assertEquals(Set.of("storage-1"), down.leftOut());

        Router.WritePlan behind = Router.writePlan(state("storage-1", 4, 4, 5), ALL_HEALTHY);
        assertEquals("storage-3", behind.primary());
        assertEquals(List.of("storage-3"), behind.participants());
    }

    @Test
    void withNoHealthyUpToDateReplicaWritesAndReadsFailNamingWhatIsMissing() {
        RepositoryState state = state("storage-1", 5, 4, 4);
        Router.NoReplicaException write = assertThrows(Router.NoReplicaException.class,
                () -> Router.writePlan(state, node -> !node.equals("storage-1")));
        assertEquals("a.git: no replica is both healthy and up to date (up to date: [storage-1], healthy: [storage-2,"
                + " storage-3])", write.getMessage());
        assertThrows(Router.NoReplicaException.class, () -> Router.readReplica(state, node -> !node.equals("storage-1"),
                false));
    }

    @Test
    void newRepositoriesSpreadTheirPrimariesEvenlyAndStably() {
        Map<String, Integer> primaries = new HashMap<>();
        for (int i = 0; i < 3000; i++) {
            String path = "group/project-" + i + ".git";
            String primary = Router.creationPrimary(path, NODES);
            assertEquals(primary, Router.creationPrimary(path, List.of("storage-3", "storage-1", "storage-2")),
                    "independent of the nodes' order");
            primaries.merge(primary, 1, Integer::sum);
        }
        for (String node : NODES) {
            int count = primaries.getOrDefault(node, 0);
            assertTrue(count > 800 && count < 1200, node + " is primary of " + count + " of 3000: " + primaries);
        }
        // Removing a node moves only its own repositories.
        for (int i = 0; i < 300; i++) {
            String path = "group/project-" + i + ".git";
            String before = Router.creationPrimary(path, NODES);
            if (!before.equals("storage-3")) {
                assertEquals(before, Router.creationPrimary(path, List.of("storage-1", "storage-2")), path);
            }
        }
    }
}
