package io.gitward.cli.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A command waits out a short holder of the cluster lock (the supervisor's renewal round) and names the lock when
 * the holder keeps it. The holder is another process, as it is in operation: file locks are per process.
 */
class ClusterLockTest {
    /** Locks the file it is given, says so, holds it for the given milliseconds and exits. */
    private static final String HOLDER = """
            import java.nio.channels.FileChannel;
            import java.nio.file.Path;
            import java.nio.file.StandardOpenOption;

            class Holder {
                public static void main(String[] args) throws Exception {
                    try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE,
                            StandardOpenOption.WRITE); var lock = channel.lock()) {
                        System.out.println("held");
                        System.out.flush();
                        Thread.sleep(Long.parseLong(args[1]));
                    }
                }
            }
            """;

    @TempDir
    Path dir;

    @Test
    void aCommandWaitsOutAShortHolder() throws Exception {
        ClusterLayout layout = new ClusterLayout(dir);
        Process holder = hold(layout, 1_000);
        try {
            long start = System.nanoTime();
            try (ClusterLock lock = ClusterLock.acquire(layout)) {
                long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(waited >= 500, "the lock was held, so the command waited: " + waited + " ms");
            }
        } finally {
            holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aHolderThatKeepsTheLockIsNamedAfterTheWait() throws Exception {
        ClusterLayout layout = new ClusterLayout(dir);
        Process holder = hold(layout, 60_000);
        try {
            ClusterException refused = assertThrows(ClusterException.class,
                    () -> ClusterLock.acquire(layout, Duration.ofMillis(300)));
            assertTrue(refused.getMessage().contains(layout.lock().toString())
                    && refused.getMessage().contains("wait for it and try again"), refused.getMessage());
            assertEquals(java.util.Optional.empty(), ClusterLock.tryAcquire(layout).map(lock -> {
                lock.close();
                return "acquired";
            }), "the supervisor's attempt does not wait");
        } finally {
            holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Starts a process that holds the cluster lock for {@code millis}; returns once it holds it. */
    private Process hold(ClusterLayout layout, long millis) throws Exception {
        Path source = dir.resolve("Holder.java");
        Files.writeString(source, HOLDER);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), source.toString(), layout.lock().toString(),
                Long.toString(millis)).redirectErrorStream(true).start();
        BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = output.readLine();
        assertEquals("held", line, "the holder process did not take the lock");
        return process;
    }
}
