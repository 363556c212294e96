package io.gitward.pki.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the {@code openssl} binary (3.x) with a timeout. A missing binary fails the test: interop is what these
 * tests prove, so they must never pass without it.
 */
public final class Openssl {
    private static final long TIMEOUT_SECONDS = 30;

    private Openssl() {
    }

    public static Result run(String... args) {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (IOException e) {
            return fail("this test needs the openssl binary on PATH: " + e.getMessage(), e);
        }
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
        try {
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return fail(String.join(" ", command) + ": no exit within " + TIMEOUT_SECONDS + " s");
            }
            return new Result(command, process.exitValue(), output.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return fail("interrupted while running " + String.join(" ", command), e);
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            return fail("cannot read the output of " + String.join(" ", command), e);
        }
    }

    /** Runs a command that must exit 0. */
    public static Result ok(String... args) {
        Result result = run(args);
        assertEquals(0, result.exitCode(), result::describe);
        return result;
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public record Result(List<String> command, int exitCode, String output) {
        public String describe() {
            return String.join(" ", command) + " exited " + exitCode + ":\n" + output;
        }
    }
}
