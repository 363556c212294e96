package io.gitward.cli.cluster;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;

/** One command at a time changes a local cluster: an exclusive lock on {@code DIR/cluster.lock}. */
final class ClusterLock implements AutoCloseable {
    /**
     * How long a command waits for the lock. The supervisor's renewal round takes it for milliseconds every few
     * seconds; a command that met such a round used to fail ("another gitward command ...") for nothing.
     */
    static final Duration COMMAND_WAIT = Duration.ofSeconds(15);
    private static final long POLL_MILLIS = 50;

    private final FileChannel channel;
    private final FileLock lock;

    private ClusterLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** The lock, waiting up to {@link #COMMAND_WAIT} for whoever holds it; else a message naming who to wait for. */
    static ClusterLock acquire(ClusterLayout layout) throws ClusterException {
        return acquire(layout, COMMAND_WAIT);
    }

    static ClusterLock acquire(ClusterLayout layout, Duration wait) throws ClusterException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            Optional<ClusterLock> lock = attempt(layout);
            if (lock.isPresent()) {
                return lock.get();
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new ClusterException("another gitward command is changing the cluster in " + layout.dir()
                        + " (it has held " + layout.lock() + " for " + wait.toMillis() + " ms); wait for it and try again");
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClusterException("interrupted while waiting for " + layout.lock(), e);
            }
        }
    }

    /** The lock if free now; empty when another command holds it (the supervisor skips a round then). */
    static Optional<ClusterLock> tryAcquire(ClusterLayout layout) {
        try {
            return attempt(layout);
        } catch (ClusterException e) {
            return Optional.empty();
        }
    }

    private static Optional<ClusterLock> attempt(ClusterLayout layout) throws ClusterException {
        try {
            FileChannel channel = FileChannel.open(layout.lock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                return Optional.empty();
            }
            return Optional.of(new ClusterLock(channel, lock));
        } catch (IOException e) {
            throw new ClusterException(layout.lock() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // Closing the channel releases the lock in any case.
        }
    }
}
