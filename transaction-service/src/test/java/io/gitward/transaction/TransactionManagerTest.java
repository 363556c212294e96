package io.gitward.transaction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TransactionManagerTest {
    private ScheduledExecutorService timer;
    private TransactionManager manager;

    @BeforeEach
    void manager() {
        timer = Executors.newSingleThreadScheduledExecutor();
        manager = new TransactionManager(timer, Clock.systemUTC(), Duration.ofMinutes(1), 1000, new TransactionMetrics());
    }

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    /** One scenario: voters "name:weight" (first is the primary), votes in order ("name=hash" or "expire"), outcomes. */
    static Stream<Arguments> scenarios() {
        return Stream.of(
                scenario("primary wins: agreeing secondaries commit", Strategy.PRIMARY_WINS, "a b c", "a=x b=x c=x",
                        "a=COMMIT b=COMMIT c=COMMIT"),
                scenario("primary wins: a disagreeing secondary is outdated, the rest commit", Strategy.PRIMARY_WINS,
                        "a b c", "b=x c=y a=x", "a=COMMIT b=COMMIT c=ABORT"),
                scenario("primary wins: the primary alone decides, even against both secondaries", Strategy.PRIMARY_WINS,
                        "a b c", "b=y c=y a=x", "a=COMMIT b=ABORT c=ABORT"),
                scenario("primary wins: a silent secondary times out and is outdated", Strategy.PRIMARY_WINS, "a b c",
                        "a=x b=x expire", "a=COMMIT b=COMMIT c=ABORT"),
                scenario("primary wins: the primary times out, everyone aborts", Strategy.PRIMARY_WINS, "a b c",
                        "b=x c=x expire", "a=ABORT b=ABORT c=ABORT"),
                scenario("majority agrees, minority is outdated", Strategy.MAJORITY, "a b c", "a=x b=x c=y",
                        "a=COMMIT b=COMMIT c=ABORT"),
                scenario("primary disagrees, transaction aborts", Strategy.MAJORITY, "a b c", "b=x c=x a=y",
                        "a=ABORT b=ABORT c=ABORT"),
                scenario("majority: two agreeing votes of three decide before the third arrives", Strategy.MAJORITY,
                        "a b c", "a=x b=x", "a=COMMIT b=COMMIT c=PENDING"),
                scenario("majority: the late third voter commits when it agrees", Strategy.MAJORITY, "a b c", "a=x b=x c=x",
                        "a=COMMIT b=COMMIT c=COMMIT"),
                scenario("secondary times out, the majority still commits", Strategy.MAJORITY, "a b c", "a=x b=x expire",
                        "a=COMMIT b=COMMIT c=ABORT"),
                scenario("majority: weights decide, a heavy secondary with the primary wins", Strategy.MAJORITY,
                        "a:1 b:3 c:1 d:1", "a=x b=x c=y d=y", "a=COMMIT b=COMMIT c=ABORT d=ABORT"),
                scenario("majority: half the weight is not a majority, the deadline aborts", Strategy.MAJORITY,
                        "a:1 b:1 c:1 d:1", "a=x b=x c=y expire", "a=ABORT b=ABORT c=ABORT d=ABORT"),
                scenario("majority: once a quorum is impossible it aborts at once", Strategy.MAJORITY, "a b c",
                        "a=x b=y c=z", "a=ABORT b=ABORT c=ABORT"),
                scenario("majority: without the primary's vote nothing commits", Strategy.MAJORITY, "a b c",
                        "b=x c=x expire", "a=ABORT b=ABORT c=ABORT"),
                scenario("unanimous: everyone agrees, everyone commits", Strategy.UNANIMOUS, "a b c", "c=x b=x a=x",
                        "a=COMMIT b=COMMIT c=COMMIT"),
                scenario("unanimous: one disagreement aborts everyone at once", Strategy.UNANIMOUS, "a b c", "a=x b=y",
                        "a=ABORT b=ABORT c=ABORT"),
                scenario("unanimous: a silent voter aborts everyone at the deadline", Strategy.UNANIMOUS, "a b c",
                        "a=x b=x expire", "a=ABORT b=ABORT c=ABORT"),
                scenario("a single voter commits on its own vote", Strategy.MAJORITY, "a", "a=x", "a=COMMIT"));
    }

    private static Arguments scenario(String name, Strategy strategy, String voters, String votes, String expected) {
        return Arguments.of(name, strategy, voters, votes, expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void strategiesDecide(String name, Strategy strategy, String voters, String votes, String expected) throws Exception {
        Map<String, Integer> weights = new LinkedHashMap<>();
        for (String voter : voters.split(" ")) {
            String[] parts = voter.split(":");
            weights.put(parts[0], parts.length > 1 ? Integer.parseInt(parts[1]) : 1);
        }
        Transaction transaction = manager.register(new Registration(weights, weights.keySet().iterator().next(), strategy,
                Duration.ofMinutes(5), "group/project.git"), "spiffe://td/proxy/p1");
        Map<String, CompletableFuture<VoterOutcome>> futures = new LinkedHashMap<>();
        for (String vote : votes.split(" ")) {
            if (vote.equals("expire")) {
                transaction.expire();
            } else {
                String[] parts = vote.split("=");
                futures.put(parts[0], manager.prepare(transaction.id(), parts[0], hash(parts[1])));
            }
        }
        for (String expectation : expected.split(" ")) {
            String[] parts = expectation.split("=");
            Transaction.Snapshot.VoterSnapshot voter = transaction.snapshot().voters().stream()
                    .filter(v -> v.name().equals(parts[0])).findFirst().orElseThrow();
            if (parts[1].equals("PENDING")) {
                assertEquals(null, voter.outcome(), parts[0] + " should still be undecided");
                continue;
            }
            assertEquals(Outcome.valueOf(parts[1]), voter.outcome().outcome(), parts[0] + ": " + voter.outcome().reason());
            if (futures.containsKey(parts[0])) {
                assertEquals(Outcome.valueOf(parts[1]), futures.get(parts[0]).get(1, TimeUnit.SECONDS).outcome(),
                        "the vote of " + parts[0] + " is answered with its outcome");
            }
        }
    }

    @Test
    void committedVotesFinishTheTransactionAndTheWatcherSeesEveryStep() throws Exception {
        Transaction transaction = register(Strategy.MAJORITY, "a", "b");
        List<String> seen = new ArrayList<>();
        String[] finished = {null};
        manager.prepare(transaction.id(), "a", hash("x"));
        transaction.watch(new TransactionEventListener() {
            @Override
            public void onEvent(TransactionEvent event) {
                seen.add(event.voter() + (event.committed() ? " committed" : " " + event.outcome().outcome()));
            }

            @Override
            public void onFinished(String state) {
                finished[0] = state;
            }
        });
        manager.prepare(transaction.id(), "b", hash("x"));
        manager.committed(transaction.id(), "a", hash("x"));
        assertEquals(null, finished[0], "b has not committed yet");
        manager.committed(transaction.id(), "b", hash("x"));
        assertEquals(List.of("a COMMIT", "b COMMIT", "a committed", "b committed"), seen);
        assertEquals("finished", finished[0]);
        assertEquals("finished", transaction.snapshot().state());
    }

    @Test
    void stopAnswersWhichVotersCommittedWhetherTheTransactionFinishedOrNot() throws Exception {
        Transaction finished = register(Strategy.MAJORITY, "a", "b", "c");
        for (String voter : List.of("a", "b", "c")) {
            manager.prepare(finished.id(), voter, hash("x"));
        }
        for (String voter : List.of("c", "a", "b")) {
            manager.committed(finished.id(), voter, hash("x"));
        }
        assertEquals("finished", finished.snapshot().state());
        assertEquals(Set.of("a", "b", "c"), manager.stop(finished.id()), "a finished write ends as it is");
        assertEquals("finished", finished.snapshot().state());

        Transaction partly = register(Strategy.MAJORITY, "a", "b", "c");
        manager.prepare(partly.id(), "a", hash("x"));
        CompletableFuture<VoterOutcome> b = manager.prepare(partly.id(), "b", hash("x"));
        manager.committed(partly.id(), "a", hash("x"));
        assertEquals(Outcome.COMMIT, b.get(1, TimeUnit.SECONDS).outcome());
        // b was told to commit but never said it did; c never voted: only a counts as applied.
        assertEquals(Set.of("a"), manager.stop(partly.id()));
        assertEquals("stopped", partly.snapshot().state());
        assertEquals(Outcome.STOP, partly.snapshot().voters().get(2).outcome().outcome());
        assertEquals(Set.of("a"), manager.stop(partly.id()), "stopping again answers the same");
    }

    @Test
    void stopWaitsForTheCommittedVotesOfVotersThatAnsweredButNotLonger() throws Exception {
        Transaction transaction = register(Strategy.MAJORITY, "a", "b", "c");
        for (String voter : List.of("a", "b", "c")) {
            manager.prepare(transaction.id(), voter, hash("x"));
        }
        manager.committed(transaction.id(), "a", hash("x"));
        // a and b answered their caller; b's COMMITTED vote is still on its way, c's call failed.
        CompletableFuture<Set<String>> stopped = manager.stopOnceCommitted(transaction.id(), Set.of("a", "b"),
                Duration.ofSeconds(30));
        Thread.sleep(100);
        assertFalse(stopped.isDone(), "b's vote is awaited");
        assertEquals("decided", transaction.snapshot().state(), "nothing is stopped while waiting");
        manager.committed(transaction.id(), "b", hash("x"));
        assertEquals(Set.of("a", "b"), stopped.get(5, TimeUnit.SECONDS));
        assertEquals("stopped", transaction.snapshot().state());
        assertEquals(Outcome.COMMIT, transaction.snapshot().voters().get(2).outcome().outcome(),
                "c was told to commit; it never said it did");

        // Stopped early (the primary failed): a voter already told to COMMIT still applies, and is still awaited.
        Transaction early = register(Strategy.MAJORITY, "a", "b", "c");
        manager.prepare(early.id(), "a", hash("x"));
        manager.prepare(early.id(), "b", hash("x"));
        manager.stop(early.id());
        CompletableFuture<Set<String>> afterStop = manager.stopOnceCommitted(early.id(), Set.of("b"),
                Duration.ofSeconds(30));
        Thread.sleep(100);
        assertFalse(afterStop.isDone(), "b's vote is awaited after the stop");
        manager.committed(early.id(), "b", hash("x"));
        assertEquals(Set.of("b"), afterStop.get(5, TimeUnit.SECONDS));

        // A vote that never comes: Stop answers after the wait, without that voter.
        Transaction silent = register(Strategy.MAJORITY, "a", "b");
        manager.prepare(silent.id(), "a", hash("x"));
        manager.prepare(silent.id(), "b", hash("x"));
        manager.committed(silent.id(), "a", hash("x"));
        long start = System.nanoTime();
        assertEquals(Set.of("a"), manager.stopOnceCommitted(silent.id(), Set.of("a", "b"), Duration.ofMillis(300))
                .get(5, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(300), "waited the full bound");

        // Nothing to wait for: answered at once, on the caller's thread.
        Transaction done = register(Strategy.MAJORITY, "a");
        manager.prepare(done.id(), "a", hash("x"));
        manager.committed(done.id(), "a", hash("x"));
        assertEquals(Set.of("a"), manager.stopOnceCommitted(done.id(), Set.of("a"), Duration.ofHours(1)).getNow(null));

        ExecutionException unknown = assertThrows(ExecutionException.class, () -> manager.stopOnceCommitted(
                register(Strategy.MAJORITY, "a").id(), Set.of("z"), Duration.ofSeconds(1)).get(5, TimeUnit.SECONDS));
        assertTrue(unknown.getCause().getMessage().contains("not a voter"), unknown.getCause().getMessage());

        // Cancelled while a stop waits: the stop is refused at once, not when its bound passes.
        Transaction cancelled = register(Strategy.MAJORITY, "a", "b");
        manager.prepare(cancelled.id(), "a", hash("x"));
        manager.prepare(cancelled.id(), "b", hash("x"));
        CompletableFuture<Set<String>> refused = manager.stopOnceCommitted(cancelled.id(), Set.of("a", "b"),
                Duration.ofMinutes(1));
        manager.cancel(cancelled.id(), "the proxy is stopping");
        ExecutionException wasCancelled = assertThrows(ExecutionException.class, () -> refused.get(5, TimeUnit.SECONDS));
        assertTrue(wasCancelled.getCause().getMessage().contains("cancelled"), wasCancelled.getCause().getMessage());
    }

    @Test
    void aStopWaitingWhenTheTimerShutsDownEndsAtItsBound() throws Exception {
        Transaction transaction = register(Strategy.MAJORITY, "a", "b");
        manager.prepare(transaction.id(), "a", hash("x"));
        manager.prepare(transaction.id(), "b", hash("x"));
        CompletableFuture<Set<String>> stopping = manager.stopOnceCommitted(transaction.id(), Set.of("a", "b"),
                Duration.ofMillis(300));
        timer.shutdownNow(); // as the node does when it stops
        assertThrows(ExecutionException.class, () -> stopping.get(5, TimeUnit.SECONDS),
                "ended (refused by the stopped timer) instead of waiting forever");
    }

    @Test
    void duplicateLateAndMisplacedVotesGetClearRefusals() throws Exception {
        Transaction transaction = register(Strategy.PRIMARY_WINS, "a", "b");
        manager.prepare(transaction.id(), "a", hash("x"));
        assertRefused(TransactionException.Kind.FAILED_PRECONDITION, "already voted",
                () -> manager.prepare(transaction.id(), "a", hash("x")));
        assertRefused(TransactionException.Kind.FAILED_PRECONDITION, "not a voter",
                () -> manager.prepare(transaction.id(), "z", hash("x")));
        assertRefused(TransactionException.Kind.FAILED_PRECONDITION, "no COMMIT outcome",
                () -> manager.committed(transaction.id(), "b", hash("x")));
        assertRefused(TransactionException.Kind.FAILED_PRECONDITION, "committed",
                () -> manager.committed(transaction.id(), "a", hash("y")));
        transaction.expire();
        assertRefused(TransactionException.Kind.FAILED_PRECONDITION, "after its outcome was set",
                () -> manager.prepare(transaction.id(), "b", hash("x")));
        assertRefused(TransactionException.Kind.NOT_FOUND, "unknown",
                () -> manager.prepare("tx-0000", "a", hash("x")));
    }

    @Test
    void votesAfterCancelOrStopAreRefusedAndWaitingVotersAreReleased() throws Exception {
        Transaction cancelled = register(Strategy.UNANIMOUS, "a", "b");
        CompletableFuture<VoterOutcome> waiting = manager.prepare(cancelled.id(), "a", hash("x"));
        manager.cancel(cancelled.id(), "client went away");
        assertEquals(Outcome.ABORT, waiting.get(1, TimeUnit.SECONDS).outcome());
        assertTrue(waiting.get().reason().contains("client went away"), waiting.get().reason());
        assertRefused(TransactionException.Kind.FAILED_PRECONDITION, "was cancelled",
                () -> manager.prepare(cancelled.id(), "b", hash("x")));
        assertRefused(TransactionException.Kind.FAILED_PRECONDITION, "was cancelled", () -> manager.stop(cancelled.id()));

        Transaction stopped = register(Strategy.MAJORITY, "a", "b", "c");
        CompletableFuture<VoterOutcome> first = manager.prepare(stopped.id(), "b", hash("x"));
        manager.stop(stopped.id());
        assertEquals(Outcome.STOP, first.get(1, TimeUnit.SECONDS).outcome());
        assertRefused(TransactionException.Kind.FAILED_PRECONDITION, "was stopped",
                () -> manager.prepare(stopped.id(), "c", hash("x")));
    }

    @Test
    void registrationsAreValidated() {
        assertRefused(TransactionException.Kind.INVALID_ARGUMENT, "voters: empty", () -> manager.register(
                new Registration(Map.of(), "a", Strategy.MAJORITY, Duration.ofSeconds(1), ""), "o"));
        assertRefused(TransactionException.Kind.INVALID_ARGUMENT, "primary", () -> manager.register(
                new Registration(Map.of("a", 1), "b", Strategy.MAJORITY, Duration.ofSeconds(1), ""), "o"));
        assertRefused(TransactionException.Kind.INVALID_ARGUMENT, "weight", () -> manager.register(
                new Registration(Map.of("a", 0), "a", Strategy.MAJORITY, Duration.ofSeconds(1), ""), "o"));
        assertRefused(TransactionException.Kind.INVALID_ARGUMENT, "not a node name", () -> manager.register(
                new Registration(Map.of("A B", 1), "A B", Strategy.MAJORITY, Duration.ofSeconds(1), ""), "o"));
        assertRefused(TransactionException.Kind.INVALID_ARGUMENT, "timeout", () -> manager.register(
                new Registration(Map.of("a", 1), "a", Strategy.MAJORITY, Duration.ofHours(1), ""), "o"));
        assertRefused(TransactionException.Kind.INVALID_ARGUMENT, "strategy", () -> manager.register(
                new Registration(Map.of("a", 1), "a", null, Duration.ofSeconds(1), ""), "o"));
    }

    @Test
    void silentVotersFailWhenTheRealTimerFires() throws Exception {
        Transaction transaction = manager.register(new Registration(Map.of("a", 1, "b", 1), "a", Strategy.UNANIMOUS,
                Duration.ofMillis(100), ""), "o");
        CompletableFuture<VoterOutcome> vote = manager.prepare(transaction.id(), "a", hash("x"));
        VoterOutcome outcome = vote.get(5, TimeUnit.SECONDS);
        assertEquals(Outcome.ABORT, outcome.outcome());
        assertTrue(outcome.reason().contains("did not vote in time"), outcome.reason());
    }

    @Test
    void endedTransactionsAreForgottenAfterTheRetentionAndOpenOnesAreBounded() throws Exception {
        TransactionManager small = new TransactionManager(timer, Clock.systemUTC(), Duration.ofMillis(100), 2,
                new TransactionMetrics());
        Transaction first = small.register(new Registration(Map.of("a", 1), "a", Strategy.MAJORITY, Duration.ofMinutes(1),
                ""), "o");
        small.register(new Registration(Map.of("a", 1), "a", Strategy.MAJORITY, Duration.ofMinutes(1), ""), "o");
        assertRefused(TransactionException.Kind.RESOURCE_EXHAUSTED, "open", () -> small.register(new Registration(
                Map.of("a", 1), "a", Strategy.MAJORITY, Duration.ofMinutes(1), ""), "o"));
        small.cancel(first.id(), "done");
        org.awaitility.Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> small.size() == 1);
        assertRefused(TransactionException.Kind.NOT_FOUND, "unknown", () -> small.find(first.id()));
    }

    @Test
    void idsAreUniqueWithoutCoordination() throws Exception {
        Set<String> ids = new HashSet<>();
        // Two coordinators (or one before and after a restart) share no state at all.
        TransactionManager one = new TransactionManager(timer, Clock.systemUTC(), Duration.ofMillis(10), 100_000,
                new TransactionMetrics());
        TransactionManager other = new TransactionManager(timer, Clock.systemUTC(), Duration.ofMillis(10), 100_000,
                new TransactionMetrics());
        for (int i = 0; i < 5000; i++) {
            ids.add(one.register(new Registration(Map.of("a", 1), "a", Strategy.MAJORITY, Duration.ofMinutes(1), ""), "o")
                    .id());
            ids.add(other.register(new Registration(Map.of("a", 1), "a", Strategy.MAJORITY, Duration.ofMinutes(1), ""), "o")
                    .id());
        }
        assertEquals(10_000, ids.size());
        assertTrue(ids.stream().allMatch(id -> id.matches("tx-[0-9a-f]{32}")));
        assertNotEquals(one, other);
    }

    private Transaction register(Strategy strategy, String... voters) throws TransactionException {
        Map<String, Integer> weights = new LinkedHashMap<>();
        for (String voter : voters) {
            weights.put(voter, 1);
        }
        return manager.register(new Registration(weights, voters[0], strategy, Duration.ofMinutes(5), ""), "owner");
    }

    static VoteHash hash(String value) throws Exception {
        return VoteHash.of(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
    }

    private interface Action {
        void run() throws Exception;
    }

    private static void assertRefused(TransactionException.Kind kind, String fragment, Action action) {
        TransactionException e = assertThrows(TransactionException.class, action::run);
        assertEquals(kind, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should mention '" + fragment + "'");
    }
}
