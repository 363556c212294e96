package io.gitward.transaction;

import io.gitward.transaction.TransactionException.Kind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * One transaction's state machine. Voters cast a PREPARED vote (answered once their outcome is known), the
 * strategy decides, voters told to COMMIT report COMMITTED, silent voters are aborted at the deadline. The
 * owner can stop (undecided voters STOP) or cancel (undecided voters ABORT). Thread-safe (one lock).
 */
public final class Transaction {
    /** Lifecycle states, reported to operators. */
    public enum State {
        OPEN, DECIDED, STOPPED, CANCELLED, FINISHED;

        String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final String id;
    private final String owner;
    private final Registration registration;
    private final Instant createdAt;
    private final Map<String, VoteHash> votes = new LinkedHashMap<>();
    private final Map<String, VoterOutcome> outcomes = new LinkedHashMap<>();
    private final Set<String> committed = new HashSet<>();
    private final Map<String, CompletableFuture<VoterOutcome>> waiting = new LinkedHashMap<>();
    private final List<TransactionEvent> events = new ArrayList<>();
    private final List<TransactionEventListener> listeners = new ArrayList<>();
    private final List<CommitWait> commitWaits = new ArrayList<>();
    private final TransactionMetrics metrics;
    private Strategy.Verdict verdict = Strategy.Verdict.pending();
    private State state = State.OPEN;
    private boolean expired;
    private Instant finishedAt;

    private final java.time.Clock clock;

    Transaction(String id, String owner, Registration registration, java.time.Clock clock, TransactionMetrics metrics) {
        this.clock = clock;
        this.createdAt = clock.instant();
        this.id = id;
        this.owner = owner;
        this.registration = registration;
        this.metrics = metrics;
    }

    public String id() {
        return id;
    }

    public String owner() {
        return owner;
    }

    public Registration registration() {
        return registration;
    }

    Instant createdAt() {
        return createdAt;
    }

    synchronized Instant finishedAt() {
        return finishedAt;
    }

    /** Records a PREPARED vote; the future completes with the voter's outcome once it is known. */
    synchronized CompletableFuture<VoterOutcome> prepare(String voter, VoteHash hash) throws TransactionException {
        requireVoter(voter);
        requireNotEnded(voter);
        if (votes.containsKey(voter)) {
            throw failed("voter " + voter + " already voted in transaction " + id);
        }
        VoterOutcome settled = outcomes.get(voter);
        if (settled != null) {
            throw failed("the vote of " + voter + " arrived after its outcome was set (" + settled.outcome() + ": "
                    + settled.reason() + ")");
        }
        votes.put(voter, hash);
        CompletableFuture<VoterOutcome> future = new CompletableFuture<>();
        waiting.put(voter, future);
        evaluate();
        return future;
    }

    /** Records that a voter told to COMMIT has committed the update it voted for. */
    synchronized void committed(String voter, VoteHash hash) throws TransactionException {
        requireVoter(voter);
        VoterOutcome outcome = outcomes.get(voter);
        if (outcome == null || outcome.outcome() != Outcome.COMMIT) {
            throw failed("voter " + voter + " has no COMMIT outcome in transaction " + id + " ("
                    + (outcome == null ? "undecided" : outcome.outcome() + ": " + outcome.reason()) + ")");
        }
        if (!hash.equals(votes.get(voter))) {
            throw failed("voter " + voter + " committed " + hash + " but voted " + votes.get(voter));
        }
        if (!committed.add(voter)) {
            throw failed("voter " + voter + " already reported COMMITTED in transaction " + id);
        }
        emit(new TransactionEvent(id, voter, outcome, true));
        finishIfSettled();
        releaseCommitWaits();
    }

    /**
     * Completes once each of {@code voters} that was told to COMMIT has reported COMMITTED. A voter answers its
     * caller without waiting for its COMMITTED vote to be taken, so whoever saw the voters' calls succeed waits
     * here for their votes before asking who committed — also after a stop, which does not undo a COMMIT already
     * given. Voters undecided or told anything else are not waited for; the caller bounds the wait.
     */
    synchronized CompletableFuture<Void> committedBy(Set<String> voters) throws TransactionException {
        for (String voter : voters) {
            requireVoter(voter);
        }
        CommitWait wait = new CommitWait(Set.copyOf(voters), new CompletableFuture<>());
        if (state == State.CANCELLED || !wait.pending(outcomes, committed)) {
            wait.done().complete(null);
        } else {
            commitWaits.removeIf(earlier -> earlier.done().isDone()); // ones that gave up
            commitWaits.add(wait);
        }
        return wait.done();
    }

    /** The deadline passed: decide what can be decided and abort every voter that stayed silent. */
    synchronized void expire() {
        if (expired || isEnded()) {
            return;
        }
        expired = true;
        evaluate();
        for (String voter : registration.voters().keySet()) {
            if (!outcomes.containsKey(voter) && !votes.containsKey(voter)) {
                settle(voter, VoterOutcome.abort("did not vote within " + registration.timeout().toMillis() + " ms"),
                        "timeout");
            }
        }
        finishIfSettled();
    }

    /**
     * Ends the transaction for its owner: voters still undecided are told STOP. Returns the voters that reported
     * COMMITTED — all of them when the transaction already finished (every voter told to commit did), which is
     * how a write that went well ends, so its owner learns the outcome and ends it in one step. Stopping again
     * answers the same (the owner may stop early when the primary fails, and again when the write ends); a
     * cancelled transaction is refused.
     */
    synchronized Set<String> stop() throws TransactionException {
        if (state != State.FINISHED && state != State.STOPPED) {
            requireNotEnded(null);
            state = State.STOPPED;
            for (String voter : registration.voters().keySet()) {
                if (!outcomes.containsKey(voter)) {
                    settle(voter, new VoterOutcome(Outcome.STOP, "transaction stopped by its owner"), "stopped");
                }
            }
            finish();
        }
        return new TreeSet<>(committed);
    }

    synchronized void cancel(String reason) throws TransactionException {
        requireNotEnded(null);
        state = State.CANCELLED;
        for (String voter : registration.voters().keySet()) {
            if (!outcomes.containsKey(voter)) {
                settle(voter, VoterOutcome.abort("transaction cancelled: " + reason), "cancelled");
            }
        }
        finish();
        // A cancelled transaction cannot be stopped: whoever waits to stop it is answered now, not at its bound.
        commitWaits.forEach(wait -> wait.done().complete(null));
        commitWaits.clear();
    }

    /** Replays what happened so far, then delivers what follows. */
    synchronized void watch(TransactionEventListener listener) {
        for (TransactionEvent event : events) {
            listener.onEvent(event);
        }
        if (finishedAt != null) {
            listener.onFinished(state.wireName());
        } else {
            listeners.add(listener);
        }
    }

    synchronized void unwatch(TransactionEventListener listener) {
        listeners.remove(listener);
    }

    synchronized boolean isEnded() {
        return state == State.STOPPED || state == State.CANCELLED || state == State.FINISHED;
    }

    public synchronized Snapshot snapshot() {
        List<Snapshot.VoterSnapshot> voters = new ArrayList<>();
        for (Map.Entry<String, Integer> voter : registration.voters().entrySet()) {
            VoteHash hash = votes.get(voter.getKey());
            voters.add(new Snapshot.VoterSnapshot(voter.getKey(), voter.getValue(), hash == null ? "" : hash.hex(),
                    outcomes.get(voter.getKey()), committed.contains(voter.getKey())));
        }
        return new Snapshot(id, state.wireName(), registration, voters, owner, createdAt);
    }

    /** A consistent copy of the state, for GetTransaction and operators. */
    public record Snapshot(String id, String state, Registration registration, List<VoterSnapshot> voters, String owner,
            Instant createdAt) {
        /** One voter: its vote (hex, empty before it), outcome (null while undecided) and whether it committed. */
        public record VoterSnapshot(String name, int weight, String hash, VoterOutcome outcome, boolean committed) {
        }
    }

    private void evaluate() {
        if (!verdict.decided()) {
            verdict = registration.strategy().evaluate(new Tally(registration.voters(), registration.primary(), votes,
                    expired));
            if (!verdict.decided()) {
                return;
            }
            state = State.DECIDED;
            metrics.decided(verdict.winner() != null);
        }
        for (String voter : registration.voters().keySet()) {
            if (outcomes.containsKey(voter)) {
                continue;
            }
            VoteHash hash = votes.get(voter);
            if (hash != null) {
                VoterOutcome outcome = verdict.outcomeFor(hash);
                settle(voter, outcome, outcome.outcome() == Outcome.COMMIT ? null : "disagreement");
            } else if (verdict.winner() == null) {
                settle(voter, VoterOutcome.abort(verdict.abortReason()), "aborted");
            }
        }
        finishIfSettled();
    }

    /** Sets a voter's outcome once; {@code outdatedReason} non-null counts the voter as outdated. */
    private void settle(String voter, VoterOutcome outcome, String outdatedReason) {
        outcomes.put(voter, outcome);
        if (outdatedReason != null) {
            metrics.outdated(outdatedReason);
        }
        CompletableFuture<VoterOutcome> future = waiting.remove(voter);
        if (future != null) {
            future.complete(outcome);
        }
        emit(new TransactionEvent(id, voter, outcome, false));
    }

    private void finishIfSettled() {
        if (finishedAt != null || outcomes.size() < registration.voters().size()) {
            return;
        }
        for (Map.Entry<String, VoterOutcome> outcome : outcomes.entrySet()) {
            if (outcome.getValue().outcome() == Outcome.COMMIT && !committed.contains(outcome.getKey())) {
                return;
            }
        }
        state = State.FINISHED;
        finish();
    }

    private void finish() {
        finishedAt = clock.instant();
        metrics.ended(state.wireName());
        for (CompletableFuture<VoterOutcome> future : waiting.values()) {
            future.complete(VoterOutcome.abort("transaction " + state.wireName()));
        }
        waiting.clear();
        for (TransactionEventListener listener : List.copyOf(listeners)) {
            listener.onFinished(state.wireName());
        }
        listeners.clear();
    }

    private void releaseCommitWaits() {
        commitWaits.removeIf(wait -> {
            if (wait.done().isDone() || !wait.pending(outcomes, committed)) {
                wait.done().complete(null);
                return true;
            }
            return false;
        });
    }

    /** Someone waiting for the COMMITTED votes of {@code voters}. */
    private record CommitWait(Set<String> voters, CompletableFuture<Void> done) {
        boolean pending(Map<String, VoterOutcome> outcomes, Set<String> committed) {
            for (String voter : voters) {
                VoterOutcome outcome = outcomes.get(voter);
                if (outcome != null && outcome.outcome() == Outcome.COMMIT && !committed.contains(voter)) {
                    return true;
                }
            }
            return false;
        }
    }

    private void emit(TransactionEvent event) {
        events.add(event);
        for (TransactionEventListener listener : List.copyOf(listeners)) {
            listener.onEvent(event);
        }
    }

    private void requireVoter(String voter) throws TransactionException {
        if (!registration.voters().containsKey(voter)) {
            throw failed("'" + voter + "' is not a voter of transaction " + id + " (voters: " + registration.voters().keySet()
                    + ")");
        }
    }

    private void requireNotEnded(String voter) throws TransactionException {
        if (state == State.STOPPED || state == State.CANCELLED) {
            throw failed("transaction " + id + " was " + state.wireName() + (voter == null ? "" : "; the vote of " + voter
                    + " is not counted"));
        }
        if (state == State.FINISHED) {
            throw failed("transaction " + id + " is already finished");
        }
    }

    private static TransactionException failed(String message) {
        return new TransactionException(Kind.FAILED_PRECONDITION, message);
    }
}
