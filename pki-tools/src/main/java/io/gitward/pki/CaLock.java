package io.gitward.pki;

import io.gitward.security.files.SecureFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Serializes changes to one CA across processes (a file lock) and across threads of this process
 * (file locks are per process), so parallel {@code pki issue} calls never lose an index entry.
 */
final class CaLock implements AutoCloseable {
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final ReentrantLock threadLock;
    private final FileChannel channel;
    private final FileLock fileLock;

    private CaLock(ReentrantLock threadLock, FileChannel channel, FileLock fileLock) {
        this.threadLock = threadLock;
        this.channel = channel;
        this.fileLock = fileLock;
    }

    static CaLock acquire(Path lockFile) throws PkiException {
        ReentrantLock threadLock = IN_PROCESS.computeIfAbsent(lockFile.toAbsolutePath(), path -> new ReentrantLock());
        threadLock.lock();
        try {
            FileChannel channel = FileChannel.open(lockFile, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(SecureFiles.OWNER_ONLY_FILE));
            try {
                return new CaLock(threadLock, channel, channel.lock());
            } catch (IOException e) {
                channel.close();
                throw e;
            }
        } catch (IOException e) {
            threadLock.unlock();
            throw new PkiException(lockFile + ": cannot lock the CA (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public void close() {
        try {
            fileLock.release();
            channel.close();
        } catch (IOException ignored) {
            // Closing the channel releases the lock in any case.
        } finally {
            threadLock.unlock();
        }
    }
}
