package io.gitward.tests;

import static java.util.Objects.requireNonNull;

import io.gitward.security.server.ReadyFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A real {@code ./gitward} process (never a Maven build: GITWARD_SKIP_BUILD=1), lean JVM, output to a log
 * file. Closing it kills the process, so a failed test leaves nothing running.
 */
public final class GitwardProcess implements AutoCloseable {
    public static final String LEAN_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx256m";

    private final Process process;
    private final Path log;
    private final List<String> command;

    private GitwardProcess(Process process, Path log, List<String> command) {
        this.process = process;
        this.log = log;
        this.command = command;
    }

    public static GitwardProcess start(Path log, Map<String, String> environment, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(GitwardHome.launcher().toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        builder.environment().put("GITWARD_SKIP_BUILD", "1");
        builder.environment().put("GITWARD_JAVA_OPTS", LEAN_JVM);
        builder.environment().putAll(environment);
        return new GitwardProcess(builder.start(), log, command);
    }

    /**
     * A test-only server: {@code mainClass} from the tests' own classpath in a separate, lean JVM (a real process
     * on real sockets, for stand-ins that the distribution does not ship).
     */
    public static GitwardProcess startJava(Path log, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(LEAN_JVM.split(" ")));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        return new GitwardProcess(builder.start(), log, command);
    }

    /** Runs a command to completion and returns its exit code and output. */
    public static Result run(Path log, Map<String, String> environment, Duration timeout, String... args)
            throws IOException, InterruptedException {
        try (GitwardProcess process = start(log, environment, args)) {
            if (!process.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(String.join(" ", process.command) + " did not finish within " + timeout
                        + "; output:\n" + process.output());
            }
            return new Result(process.process.exitValue(), process.output());
        }
    }

    /** Exit code and combined output of a finished command. */
    public record Result(int exitCode, String output) {
    }

    /** Waits for the node's ready.json, failing early (with the log) if the process dies first. */
    public ReadyFile awaitReady(Path readyFile, Duration timeout) {
        requireNonNull(readyFile, "readyFile");
        Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(() -> {
            if (!process.isAlive()) {
                throw new AssertionError("process exited with " + process.exitValue() + " before ready:\n" + output());
            }
            return Files.isRegularFile(readyFile);
        });
        try {
            return ReadyFile.read(readyFile);
        } catch (IOException e) {
            throw new AssertionError("ready file " + readyFile + " unreadable: " + e.getMessage(), e);
        }
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    /** SIGTERM, then waits for exit; returns the exit code. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("process did not stop within " + timeout + " after SIGTERM:\n" + output());
        }
        return process.exitValue();
    }

    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
