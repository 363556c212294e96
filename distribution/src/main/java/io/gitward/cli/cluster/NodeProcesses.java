package io.gitward.cli.cluster;

import io.gitward.security.files.SecureFiles;
import io.gitward.security.server.ReadyFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts local node processes detached from the terminal ({@code setsid}, so they outlive {@code up} and a
 * Ctrl-C in its shell), records their pids, waits for their ready files, and stops them. A pid counts only
 * while its process is still the one started with that node's config (pids are reused).
 */
final class NodeProcesses {
    /** Node JVMs are small by default; GITWARD_JAVA_OPTS, when set, wins. */
    private static final String NODE_JVM = "-XX:+UseSerialGC -Xmx384m -XX:TieredStopAtLevel=1";
    private static final int LOG_TAIL_LINES = 20;

    private NodeProcesses() {
    }

    static Path launcher() throws ClusterException {
        String launcher = System.getProperty("gitward.launcher");
        if (launcher == null) {
            throw new ClusterException("run this through the ./gitward launcher (it starts nodes with itself)");
        }
        return Path.of(launcher);
    }

    /** Starts {@code args} of the launcher detached, output appended to {@code log}; returns its pid. */
    static long startDetached(Path log, Path pidFile, String... args) throws ClusterException {
        return startDetached(log, pidFile, LocalCluster.NodeLaunch.DEFAULT, args);
    }

    /** As above, with the JVM options and CPU pinning of {@code launch}. */
    static long startDetached(Path log, Path pidFile, LocalCluster.NodeLaunch launch, String... args)
            throws ClusterException {
        List<String> command = new ArrayList<>();
        if (launch.cpus() != null) {
            command.addAll(List.of("taskset", "-c", launch.cpus()));
        }
        command.addAll(List.of("setsid", launcher().toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().put("GITWARD_SKIP_BUILD", "1");
        if (launch.jvmOptions() != null) {
            builder.environment().put("GITWARD_JAVA_OPTS", launch.jvmOptions());
        }
        builder.environment().putIfAbsent("GITWARD_JAVA_OPTS", NODE_JVM);
        try {
            Process process = builder.start();
            SecureFiles.writePublic(pidFile, process.pid() + "\n");
            return process.pid();
        } catch (IOException e) {
            throw new ClusterException("cannot start " + String.join(" ", args) + " (" + e.getMessage() + ")", e);
        }
    }

    static long start(ClusterLayout layout, ClusterManifest.Node node, LocalCluster.NodeLaunch launch)
            throws ClusterException {
        Path dir = layout.nodeDir(node.name());
        try {
            Files.deleteIfExists(ClusterLayout.ready(dir));
        } catch (IOException e) {
            throw new ClusterException("cannot remove the stale " + ClusterLayout.ready(dir) + ": " + e.getMessage(), e);
        }
        return startDetached(ClusterLayout.log(dir), ClusterLayout.pid(dir), launch, "node", node.kind(), "--config",
                ClusterLayout.config(dir).toString());
    }

    /** The running process recorded in {@code pidFile}, if it still runs a command naming {@code marker}. */
    static Optional<ProcessHandle> running(Path pidFile, String marker) {
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip());
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(handle -> handle.info().commandLine().map(line -> line.contains(marker)).orElse(false));
    }

    static Optional<ProcessHandle> running(ClusterLayout layout, ClusterManifest.Node node) {
        Path dir = layout.nodeDir(node.name());
        return running(ClusterLayout.pid(dir), ClusterLayout.config(dir).toString());
    }

    /** Waits for the node's ready file; fails early, with the log's tail, when the process ends first. */
    static ReadyFile awaitReady(ClusterLayout layout, ClusterManifest.Node node, long pid, Duration timeout)
            throws ClusterException, InterruptedException {
        Path dir = layout.nodeDir(node.name());
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isRegularFile(ClusterLayout.ready(dir))) {
                try {
                    return ReadyFile.read(ClusterLayout.ready(dir));
                } catch (IOException e) {
                    // Written atomically, so this is a read racing the first write: try again.
                }
            }
            if (ProcessHandle.of(pid).map(handle -> !handle.isAlive()).orElse(true)) {
                throw new ClusterException(node.name() + " exited before it was ready; the end of "
                        + ClusterLayout.log(dir) + ":\n" + tail(ClusterLayout.log(dir)));
            }
            Thread.sleep(100);
        }
        throw new ClusterException(node.name() + " was not ready within " + timeout.toSeconds() + " s; the end of "
                + ClusterLayout.log(dir) + ":\n" + tail(ClusterLayout.log(dir)));
    }

    /** SIGTERM, then SIGKILL after {@code grace}; true when something was running. */
    static boolean stop(Path pidFile, String marker, Duration grace) throws InterruptedException {
        Optional<ProcessHandle> process = running(pidFile, marker);
        if (process.isPresent()) {
            ProcessHandle handle = process.get();
            handle.destroy();
            try {
                handle.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                handle.destroyForcibly();
                handle.onExit().join();
            }
        }
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            // A pid file we cannot remove is harmless: it no longer names a running node.
        }
        return process.isPresent();
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
        } catch (IOException e) {
            return "(" + log + " unreadable: " + e.getMessage() + ")";
        }
    }
}
