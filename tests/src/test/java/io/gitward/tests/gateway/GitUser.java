package io.gitward.tests.gateway;

import io.gitward.tests.security.TestPki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code git} CLI as one end user: their client certificate (or none) for HTTPS, the cluster's CA
 * bundle, a private HOME so no user or system config leaks in, and no prompts.
 */
final class GitUser {
    private final Path home;
    private final Path roots;
    private final TestPki.NodeFiles certificate;

    /** @param certificate the user's key and chain; null for a user without a certificate */
    GitUser(Path home, Path roots, TestPki.NodeFiles certificate) throws IOException {
        this.home = Files.createDirectories(home);
        this.roots = roots;
        this.certificate = certificate;
    }

    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    /** Runs {@code git ARGS} in {@code workDir} (may be null), with extra environment variables. */
    Result run(Path workDir, Map<String, String> environment, String... args) {
        List<String> command = new ArrayList<>(List.of("git", "-c", "http.sslVerify=true", "-c", "user.name=Pat Pusher",
                "-c", "user.email=pat@example.com", "-c", "init.defaultBranch=main"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (workDir != null) {
            builder.directory(workDir.toFile());
        }
        builder.environment().put("HOME", home.toString());
        builder.environment().put("GIT_CONFIG_NOSYSTEM", "1");
        builder.environment().put("GIT_TERMINAL_PROMPT", "0");
        // Git's documented variables for http.sslCAInfo / sslCert / sslKey.
        builder.environment().put("GIT_SSL_CAINFO", roots.toString());
        if (certificate != null) {
            builder.environment().put("GIT_SSL_CERT", certificate.chain().toString());
            builder.environment().put("GIT_SSL_KEY", certificate.key().toString());
        }
        builder.environment().putAll(environment);
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("git " + String.join(" ", args) + " did not finish in 120 s");
            }
            return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run git (is it installed?): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    Result run(Path workDir, String... args) {
        return run(workDir, Map.of(), args);
    }

    /** Output of a command that must succeed. */
    String ok(Path workDir, String... args) {
        Result result = run(workDir, args);
        if (!result.ok()) {
            throw new AssertionError("git " + String.join(" ", args) + " exited " + result.exitCode() + ":\n"
                    + result.output());
        }
        return result.output();
    }
}
