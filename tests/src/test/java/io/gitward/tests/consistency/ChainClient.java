package io.gitward.tests.consistency;

import io.gitward.proto.FindRefResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A client that grows one branch as a chain: it reads the branch ({@code FindRef}) and then appends a new commit
 * whose parent is the head it saw, with the head as the expected old value (a compare-and-swap). Each append's new
 * head is known before the call (see {@link Appender}), so an append whose answer is lost is still a well-defined
 * operation of the register "the branch's head". After a refused or unknown append the client reads again.
 */
final class ChainClient implements Runnable {
    /** How an append is made: a CommitFiles call, a git push, ... */
    interface Appender {
        /**
         * Appends a new commit on {@code parent} (null: the branch does not exist yet) as the {@code sequence}-th
         * append of client {@code client}.
         */
        Attempt append(String client, int sequence, String parent);
    }

    /**
     * One append: the head it would set ({@code value}, known before the call), what the answer proves, the status
     * that best describes it, and a description for the history file.
     */
    record Attempt(String value, Operation.Outcome outcome, Status.Code code, String description) {
    }

    private final String name;
    private final ManagedChannel channel;
    private final RegisterClient.Ref ref;
    private final Appender appender;
    private final AtomicInteger ids;
    private final Consumer<RegisterClient.Recorded> record;
    private final Random random;
    private final AtomicBoolean stop;
    private String belief;
    private boolean known;
    private int appends;

    ChainClient(String name, ManagedChannel channel, RegisterClient.Ref ref, Appender appender, AtomicInteger ids,
            Consumer<RegisterClient.Recorded> record, long seed, AtomicBoolean stop) {
        this.name = name;
        this.channel = channel;
        this.ref = ref;
        this.appender = appender;
        this.ids = ids;
        this.record = record;
        this.random = new Random(seed);
        this.stop = stop;
    }

    @Override
    public void run() {
        while (!stop.get()) {
            Status.Code code = known && random.nextInt(100) >= 20 ? append() : read(random.nextBoolean());
            if (code == Status.Code.UNAVAILABLE || code == Status.Code.UNKNOWN) {
                channel.resetConnectBackoff();
                pause();
            }
        }
    }

    /** The branch's head read from the primary: the last word of this register's history. */
    void readFinal() {
        read(true);
    }

    private Status.Code append() {
        int id = ids.incrementAndGet();
        String expected = belief;
        long invoke = System.nanoTime();
        Attempt attempt = appender.append(name, ++appends, expected);
        long end = System.nanoTime();
        record.accept(new RegisterClient.Recorded(Operation.cas(id, name, ref.key(), expected, attempt.value(), invoke, end,
                attempt.outcome()), attempt.code(), false, attempt.description()));
        if (attempt.outcome() == Operation.Outcome.OK) {
            belief = attempt.value();
        } else {
            known = false;
        }
        return attempt.code();
    }

    private Status.Code read(boolean primary) {
        int id = ids.incrementAndGet();
        long invoke = System.nanoTime();
        try {
            FindRefResponse response = RegisterClient.findRef(channel, ref, primary);
            String value = response.getFound() ? response.getReference().getTarget() : null;
            record.accept(new RegisterClient.Recorded(Operation.read(id, name, ref.key(), invoke, System.nanoTime(), value),
                    Status.Code.OK, primary, ""));
            belief = value;
            known = true;
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            record.accept(new RegisterClient.Recorded(new Operation(id, name, ref.key(), Operation.Kind.READ, null, null,
                    invoke, Long.MAX_VALUE, Operation.Outcome.UNKNOWN), e.getStatus().getCode(), primary,
                    String.valueOf(e.getStatus().getDescription())));
            return e.getStatus().getCode();
        }
    }

    private void pause() {
        try {
            Thread.sleep(50 + random.nextInt(100));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop.set(true);
        }
    }
}
