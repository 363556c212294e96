package io.gitward.transaction;

import static java.util.Objects.requireNonNull;

import io.gitward.transaction.TransactionException.Kind;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's domain: registers transactions, routes votes, enforces deadlines and forgets finished
 * transactions after a retention period (so late votes still get a clear answer). Transport-free and
 * thread-safe; identity checks are the adapter's job. Ids are random 128-bit values, unique across
 * restarts and across coordinators without coordination.
 */
public final class TransactionManager implements AutoCloseable {
    /** The longest a stop waits for COMMITTED votes, whatever its caller asks. */
    public static final Duration MAX_COMMIT_WAIT = Duration.ofMinutes(1);
    private static final Logger LOG = LoggerFactory.getLogger(TransactionManager.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, Transaction> transactions = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    private final Clock clock;
    private final Duration retention;
    private final int maxOpen;
    private final TransactionMetrics metrics;

    /**
     * @param timer     runs deadlines and clean-up; owned by the caller
     * @param retention how long an ended transaction still answers late votes and inspection
     * @param maxOpen   transactions that may be open at once; more are refused (RESOURCE_EXHAUSTED)
     */
    public TransactionManager(ScheduledExecutorService timer, Clock clock, Duration retention, int maxOpen,
            TransactionMetrics metrics) {
        this.timer = requireNonNull(timer, "timer");
        this.clock = requireNonNull(clock, "clock");
        this.retention = requireNonNull(retention, "retention");
        this.maxOpen = maxOpen;
        this.metrics = requireNonNull(metrics, "metrics");
        long sweep = Math.max(100, Math.min(retention.toMillis(), 10_000));
        timer.scheduleWithFixedDelay(this::forgetEnded, sweep, sweep, TimeUnit.MILLISECONDS);
    }

    /** @param owner who registers (SPIFFE ID, or "anonymous" for token callers) */
    public Transaction register(Registration registration, String owner) throws TransactionException {
        registration.validate();
        if (transactions.size() >= maxOpen) {
            forgetEnded();
            if (transactions.size() >= maxOpen) {
                throw new TransactionException(Kind.RESOURCE_EXHAUSTED, maxOpen + " transactions are open; try again");
            }
        }
        byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        String id = "tx-" + HexFormat.of().formatHex(random);
        Transaction transaction = new Transaction(id, owner, registration, clock, metrics);
        transactions.put(id, transaction);
        timer.schedule(transaction::expire, registration.timeout().toMillis(), TimeUnit.MILLISECONDS);
        return transaction;
    }

    public Transaction find(String id) throws TransactionException {
        Transaction transaction = id == null ? null : transactions.get(id);
        if (transaction == null) {
            throw new TransactionException(Kind.NOT_FOUND, "transaction '" + id + "' is unknown (never registered here,"
                    + " or ended more than " + retention.toSeconds() + " s ago)");
        }
        return transaction;
    }

    /** A PREPARED vote; the future completes with the voter's outcome. */
    public CompletableFuture<VoterOutcome> prepare(String id, String voter, VoteHash hash) throws TransactionException {
        long start = System.nanoTime();
        CompletableFuture<VoterOutcome> outcome = find(id).prepare(voter, hash);
        return outcome.whenComplete((result, error) -> metrics.voteWaited(System.nanoTime() - start));
    }

    public void committed(String id, String voter, VoteHash hash) throws TransactionException {
        find(id).committed(voter, hash);
    }

    /** Stops the transaction (see {@link Transaction#stop}); returns the voters that committed, sorted. */
    public Set<String> stop(String id) throws TransactionException {
        return find(id).stop();
    }

    /**
     * Stops the transaction once the COMMITTED votes of {@code awaited} (voters seen to succeed) are in, or after
     * {@code maxWait}, whichever comes first (see {@link Transaction#committedBy}); completes with the voters
     * that committed, or a {@link TransactionException}. Never blocks the caller.
     */
    public CompletableFuture<Set<String>> stopOnceCommitted(String id, Set<String> awaited, Duration maxWait) {
        try {
            Transaction transaction = find(id);
            CompletableFuture<Void> committed = transaction.committedBy(awaited);
            if (committed.isDone()) {
                return CompletableFuture.completedFuture(transaction.stop());
            }
            long bound = Math.max(0, Math.min(maxWait.toMillis(), MAX_COMMIT_WAIT.toMillis()));
            long started = System.nanoTime();
            // The bound does not depend on this manager's timer, so a timer shut down first leaves no stop waiting (the
            // stop then fails with the timer's refusal). The stop runs on the timer, not under the transaction's lock
            // of the vote that completed the wait.
            return committed.completeOnTimeout(null, bound, TimeUnit.MILLISECONDS).thenApplyAsync(ignored -> {
                if (System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(bound)) {
                    LOG.warn("transaction {}: stopped after waiting {} ms for COMMITTED votes that did not come (of {});"
                            + " those replicas count as not applied and are repaired", id, bound, awaited);
                }
                try {
                    return transaction.stop();
                } catch (TransactionException e) {
                    throw new CompletionException(e);
                }
            }, timer);
        } catch (TransactionException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    public void cancel(String id, String reason) throws TransactionException {
        find(id).cancel(reason);
    }

    public TransactionMetrics metrics() {
        return metrics;
    }

    public int size() {
        return transactions.size();
    }

    private void forgetEnded() {
        Instant horizon = clock.instant().minus(retention);
        for (Iterator<Transaction> iterator = transactions.values().iterator(); iterator.hasNext();) {
            Instant finished = iterator.next().finishedAt();
            if (finished != null && finished.isBefore(horizon)) {
                iterator.remove();
            }
        }
    }

    @Override
    public void close() {
        for (Transaction transaction : transactions.values()) {
            try {
                if (!transaction.isEnded()) {
                    transaction.cancel("the coordinator is shutting down");
                }
            } catch (TransactionException ignored) {
                // ended concurrently
            }
        }
    }
}
