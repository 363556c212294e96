package io.gitward.tests.proxy;

import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Commits one new file after another through a proxy on a background thread, bounded in count and time,
 * recording every acknowledged commit id in order and counting refusals.
 */
final class WriteBurst implements AutoCloseable {
    private final List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;

    WriteBurst(ProxyClients clients, String path, String prefix, int maxWrites, long maxSeconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        thread = new Thread(() -> {
            for (int i = 0; i < maxWrites && !stop.get() && System.nanoTime() < deadline; i++) {
                try {
                    acknowledged.add(clients.commit(path, prefix + "-" + i + ".txt", prefix + " " + i + "\n").getCommitId());
                } catch (StatusRuntimeException e) {
                    failures.add(e.getStatus().getCode() + ": " + e.getStatus().getDescription());
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                }
            }
        }, "write-burst-" + prefix);
        thread.start();
    }

    List<String> acknowledged() {
        synchronized (acknowledged) {
            return List.copyOf(acknowledged);
        }
    }

    List<String> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    void awaitAcknowledged(int count, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (acknowledged.size() < count && System.nanoTime() < deadline && thread.isAlive()) {
            Thread.sleep(20);
        }
        if (acknowledged.size() < count) {
            throw new AssertionError("only " + acknowledged.size() + " of " + count + " writes acknowledged; failures: "
                    + failures());
        }
    }

    boolean running() {
        return thread.isAlive();
    }

    /** Waits for the burst to end on its own. */
    void join(long seconds) throws InterruptedException {
        thread.join(TimeUnit.SECONDS.toMillis(seconds));
    }

    /** Stops the burst after the write in progress and waits for that write's answer. */
    @Override
    public void close() {
        stop.set(true);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(60));
        } catch (InterruptedException e) {
            thread.interrupt();
            Thread.currentThread().interrupt();
        }
    }
}
