package io.gitward.tests.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The real {@code git} binary, run against a bare repository on a storage node's disk: the independent check. */
public final class GitCli {
    private GitCli() {
    }

    /** Output of a command that must succeed. */
    public static String git(Path gitDir, String... args) {
        Result result = run(gitDir, args);
        if (result.exitCode() != 0) {
            throw new AssertionError("git " + String.join(" ", args) + " in " + gitDir + " exited " + result.exitCode()
                    + ":\n" + result.output());
        }
        return result.output();
    }

    /** Every reference as "name target" lines, sorted: what an update must (or must not) have changed. */
    public static String refs(Path gitDir) {
        return git(gitDir, "for-each-ref", "--format=%(refname) %(objectname)");
    }

    /** Fails unless {@code git fsck --strict} finds the repository fully consistent. */
    public static void fsck(Path gitDir) {
        git(gitDir, "fsck", "--strict", "--no-dangling");
    }

    public record Result(int exitCode, String output) {
    }

    public static Result run(Path gitDir, String... args) {
        List<String> command = new ArrayList<>(List.of("git", "--git-dir=" + gitDir));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("git " + String.join(" ", args) + " did not finish in 60s");
            }
            return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run git (is it installed?): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
