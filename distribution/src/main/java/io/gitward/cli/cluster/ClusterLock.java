package io.gitward.cli.cluster;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.StandardOpenOption;

/** One command at a time changes a local cluster: an exclusive lock on {@code DIR/cluster.lock}. */
final class ClusterLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private ClusterLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** The lock, or a message naming who to wait for. */
    static ClusterLock acquire(ClusterLayout layout) throws ClusterException {
        try {
            FileChannel channel = FileChannel.open(layout.lock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                throw new ClusterException("another gitward command is changing the cluster in " + layout.dir()
                        + " (it holds " + layout.lock() + "); wait for it and try again");
            }
            return new ClusterLock(channel, lock);
        } catch (IOException e) {
            throw new ClusterException(layout.lock() + ": " + e.getMessage(), e);
        }
    }

    /** The lock if free now; empty when another command holds it. */
    static java.util.Optional<ClusterLock> tryAcquire(ClusterLayout layout) {
        try {
            return java.util.Optional.of(acquire(layout));
        } catch (ClusterException e) {
            return java.util.Optional.empty();
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
