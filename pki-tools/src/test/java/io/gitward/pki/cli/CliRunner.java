package io.gitward.pki.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/** Runs {@code gitward pki ARGS} in-process through {@link PkiCommand#execute} and keeps exit code, stdout and stderr. */
final class CliRunner {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CliRunner() {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode;
        try (PrintWriter outWriter = new PrintWriter(out); PrintWriter errWriter = new PrintWriter(err)) {
            exitCode = PkiCommand.execute(outWriter, errWriter, args);
        }
        return new Result(List.of(args), exitCode, out.toString(), err.toString());
    }

    static Result run(List<String> args) {
        return run(args.toArray(new String[0]));
    }

    /** Runs a command that must succeed and returns its result. */
    static Result ok(String... args) {
        return run(args).assertExit(0);
    }

    record Result(List<String> args, int exitCode, String out, String err) {
        Result assertExit(int expected) {
            assertEquals(expected, exitCode, this::describe);
            return this;
        }

        List<String> errLines() {
            return err.lines().toList();
        }

        List<String> outLines() {
            return out.lines().toList();
        }

        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (JsonProcessingException e) {
                return fail("stdout is not JSON: " + e.getOriginalMessage() + "\n" + describe());
            }
        }

        String describe() {
            return "gitward pki " + String.join(" ", args) + " exited " + exitCode + "\n--- stdout:\n" + out
                    + "--- stderr:\n" + err;
        }
    }
}
