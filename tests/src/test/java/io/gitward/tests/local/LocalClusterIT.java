package io.gitward.tests.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitward.security.json.Json;
import io.gitward.tests.GitwardProcess;
import io.gitward.tests.SuiteSummary;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local cluster as an operator uses it, through {@code ./gitward} processes: {@code up} starts five node
 * processes and prints client commands that work; {@code status} and {@code audit} describe the real cluster;
 * {@code phase} walks 0 to 6 and back under a steady read/write loop without one failed call, and refuses a
 * step while the audit shows a caller it would break; {@code down} stops everything. Rotation, CA rollover and
 * revocation under load are {@link RotationRevocationIT}.
 */
class LocalClusterIT {
    private static final Duration COMMAND = Duration.ofMinutes(4);

    @TempDir
    Path dir;

    private Path cluster;

    @AfterEach
    void down() throws Exception {
        if (cluster != null) {
            gitward("down", "--dir", cluster.toString());
        }
    }

    /** Runs the printed {@code GIT_SSL_*=... git clone URL} lines with the real git CLI; returns the README. */
    private String gitCloneAsPrinted(String upOutput) throws Exception {
        List<String> lines = upOutput.lines().map(String::strip).toList();
        int env = lines.indexOf(lines.stream().filter(line -> line.startsWith("GIT_SSL_CERT=")).findFirst()
                .orElseThrow(() -> new AssertionError("up printed no git line:\n" + upOutput)));
        List<String> command = new ArrayList<>(List.of(lines.get(env + 1).split(" ")));
        assertEquals(List.of("git", "clone"), command.subList(0, 2), upOutput);
        Path clone = dir.resolve("clone");
        command.add(clone.toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        for (String assignment : lines.get(env).replace("\\", "").strip().split(" ")) {
            builder.environment().put(assignment.substring(0, assignment.indexOf('=')),
                    assignment.substring(assignment.indexOf('=') + 1));
        }
        builder.environment().put("HOME", dir.toString());
        builder.environment().put("GIT_TERMINAL_PROMPT", "0");
        Process git = builder.start();
        String output = new String(git.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(git.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && git.exitValue() == 0, output);
        return Files.readString(clone.resolve("README.md"));
    }

    @Test
    void upPrintsCommandsThatWorkAndDownStopsEverything() throws Exception {
        cluster = dir.resolve("cluster");
        GitwardProcess.Result up = gitward("up", "--dir", cluster.toString());
        assertEquals(0, up.exitCode(), up.output());
        List<String> printed = up.output().lines().map(String::strip).filter(line -> line.startsWith("./gitward client"))
                .toList();
        assertEquals(4, printed.size(), up.output());
        List<String> outputs = new ArrayList<>();
        for (String command : printed) {
            GitwardProcess.Result result = gitward(split(command.substring("./gitward ".length())));
            assertEquals(0, result.exitCode(), command + "\n" + result.output());
            outputs.add(result.output());
        }
        assertTrue(outputs.get(2).contains("hello"), "read prints what write wrote: " + outputs.get(2));
        assertEquals(3, outputs.get(3).lines().filter(line -> line.contains("up-to-date=true")).count(), outputs.get(3));
        assertEquals(1, outputs.get(3).lines().filter(line -> line.startsWith("storage-")).map(line -> line.substring(
                line.indexOf("checksum="))).distinct().count(), "equal checksums on every replica: " + outputs.get(3));

        assertTrue(gitCloneAsPrinted(up.output()).contains("hello"), "the git clone line up printed works");

        GitwardProcess.Result again = gitward("up", "--dir", cluster.toString());
        assertEquals(1, again.exitCode());
        assertTrue(again.output().contains("already running"), again.output());

        JsonNode status = Json.mapper().readTree(jsonOf(gitward("status", "--dir", cluster.toString(), "--json")));
        assertEquals(6, status.get("phase").asInt());
        assertEquals(6, status.get("nodes").size());
        List<Long> pids = new ArrayList<>();
        for (JsonNode node : status.get("nodes")) {
            assertTrue(node.get("running").asBoolean() && node.get("ready").asBoolean(), node.toString());
            assertEquals(6, node.get("phase").asInt(), node.toString());
            assertEquals("enforce", node.get("flags").get("authorization").asText());
            assertEquals("phase 6 preset", node.get("flag_sources").get("authorization").asText());
            assertEquals(status.get("nodes").get(0).get("root_fingerprints"), node.get("root_fingerprints"),
                    "one bundle everywhere");
            assertFalse(node.get("certificate_not_after").asText().isEmpty());
            pids.add(node.get("pid").asLong());
        }
        assertEquals(3, status.get("storages").size());
        status.get("storages").forEach(storage -> assertTrue(storage.get("healthy").asBoolean(), storage.toString()));
        assertTrue(status.get("supervisor").get("running").asBoolean());
        GitwardProcess.Result text = gitward("status", "--dir", cluster.toString());
        assertEquals(0, text.exitCode(), text.output());
        assertTrue(text.output().contains("on every node") && text.output().contains("replica storage-3"), text.output());

        GitwardProcess.Result audit = gitward("audit", "--dir", cluster.toString());
        assertEquals(0, audit.exitCode(), audit.output());
        assertTrue(audit.output().contains("spiffe://local.gitward/client/client-1"), audit.output());
        assertTrue(audit.output().contains("phase 6 is the last phase"), audit.output());

        GitwardProcess.Result check = gitward("check", "--dir", cluster.toString());
        assertEquals(0, check.exitCode(), check.output());
        assertTrue(check.output().contains("[ok]   every node trusts the same roots")
                && check.output().contains("[ok]   the renewer runs") && check.output().contains("OK: 0 failed"),
                check.output());

        assertKeysAreOwnerOnlyAndTheCaKeyStaysInPki();

        GitwardProcess.Result down = gitward("down", "--dir", cluster.toString());
        assertEquals(0, down.exitCode(), down.output());
        assertTrue(down.output().contains("stopped supervisor, gateway-1, proxy-1, storage-3, storage-2, storage-1,"
                + " coordinator-1"),
                down.output());
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " is gone");
        }
        GitwardProcess.Result after = gitward("status", "--dir", cluster.toString());
        assertEquals(1, after.exitCode(), after.output());
        assertTrue(after.output().contains("not running"), after.output());
        GitwardProcess.Result failing = gitward("check", "--dir", cluster.toString());
        assertEquals(1, failing.exitCode(), failing.output());
        assertTrue(failing.output().contains("[FAIL] proxy-1 runs and answers: not running"), failing.output());
        GitwardProcess.Result client = gitward("client", "--dir", cluster.toString(), "read", "demo.git", "README.md");
        assertEquals(2, client.exitCode());
        assertTrue(client.output().contains("the proxy is not running"), client.output());

        // Up again on the same directory: the data is still there. Then a crash (SIGKILL to every process) leaves
        // stale pid and ready files behind; up recovers from them and nothing is lost.
        assertEquals(0, gitward("up", "--dir", cluster.toString()).exitCode());
        assertTrue(gitward("client", "--dir", cluster.toString(), "read", "demo.git", "README.md").output()
                .contains("hello"));
        JsonNode running = Json.mapper().readTree(jsonOf(gitward("status", "--dir", cluster.toString(), "--json")));
        List<ProcessHandle> killed = new ArrayList<>();
        for (JsonNode node : running.get("nodes")) {
            ProcessHandle.of(node.get("pid").asLong()).ifPresent(killed::add);
        }
        ProcessHandle.of(running.get("supervisor").get("pid").asLong()).ifPresent(killed::add);
        killed.forEach(ProcessHandle::destroyForcibly);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> killed.stream().noneMatch(ProcessHandle::isAlive));
        assertTrue(Files.exists(cluster.resolve("nodes/proxy-1/node.pid")), "a crash leaves the pid file");
        GitwardProcess.Result recovered = gitward("up", "--dir", cluster.toString());
        assertEquals(0, recovered.exitCode(), recovered.output());
        assertTrue(gitward("client", "--dir", cluster.toString(), "read", "demo.git", "README.md").output()
                .contains("hello"));
    }

    @Test
    void phaseWalksFromZeroToSixAndBackUnderLoadAndRefusesAStepThatWouldBreakACaller() throws Exception {
        cluster = dir.resolve("phases");
        GitwardProcess.Result up = gitward("up", "--dir", cluster.toString(), "--phase", "0");
        assertEquals(0, up.exitCode(), up.output());
        assertEquals(0, gitward("client", "--dir", cluster.toString(), "create", "load.git").exitCode());

        try (ClusterLoad load = ClusterLoad.start(cluster, "load.git")) {
            load.awaitCalls(20);
            phase("4");

            // A legacy caller on plaintext with a token: phase 5 would close its listener.
            JsonNode manifest = Json.mapper().readTree(cluster.resolve("cluster.json").toFile());
            String plaintext = "127.0.0.1:" + manifest.get("nodes").get(4).get("plaintext_port").asInt();
            for (int i = 0; i < 3; i++) {
                GitwardProcess.Result legacy = gitward("client", "--address", plaintext, "--plaintext", "--token-file",
                        cluster.resolve("clients/client-1/token").toString(), "list", "load.git");
                assertEquals(0, legacy.exitCode(), legacy.output());
            }
            GitwardProcess.Result audit = gitward("audit", "--dir", cluster.toString(), "--since", "5m");
            assertTrue(audit.output().contains("NOT ready for phase 5") && audit.output().contains("anonymous@127.0.0.1")
                    && audit.output().contains("plaintext listener"), audit.output());
            GitwardProcess.Result refused = gitward("phase", "6", "--dir", cluster.toString());
            assertEquals(1, refused.exitCode(), refused.output());
            assertTrue(refused.output().contains("refusing phase 5") && refused.output().contains("anonymous@127.0.0.1")
                    && refused.output().contains("plaintext"), refused.output());
            assertEquals(4, Json.mapper().readTree(cluster.resolve("cluster.json").toFile()).get("phase").asInt());

            // The legacy caller is gone; going down and up again starts a fresh observation.
            GitwardProcess.Result noDowngrade = gitward("phase", "3", "--dir", cluster.toString());
            assertEquals(1, noDowngrade.exitCode());
            assertTrue(noDowngrade.output().contains("--allow-downgrade"), noDowngrade.output());
            phase("3", "--allow-downgrade");
            phase("6");
            load.awaitCalls(load.succeeded() + 20);
            phase("0", "--allow-downgrade");
            load.awaitCalls(load.succeeded() + 20);
            load.stop();
            // Steps: 0→4, 6 refused (a plaintext caller), 3 refused without --allow-downgrade, 4→3, 3→6, 6→0.
            int failed = load.failures().size();
            SuiteSummary.record("phase-rolling", 6, failed == 0 ? 6 : 5, failed == 0 ? 0 : 1,
                    SuiteSummary.figures("path", "0-4-3-6-0", "calls", Integer.toString(load.succeeded() + failed),
                            "failed-calls", Integer.toString(failed)));
            assertEquals(List.of(), load.failures(), "failed calls while the phase changed");
            assertTrue(load.succeeded() > 60, "calls made: " + load.succeeded());
        }
    }

    private void phase(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("phase"));
        command.addAll(List.of(args));
        command.addAll(List.of("--dir", cluster.toString()));
        GitwardProcess.Result result = gitward(command.toArray(String[]::new));
        assertEquals(0, result.exitCode(), String.join(" ", command) + "\n" + result.output());
        assertTrue(result.output().contains("the cluster is at phase " + args[0]), result.output());
    }

    private void assertKeysAreOwnerOnlyAndTheCaKeyStaysInPki() throws Exception {
        Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
        List<Path> keys;
        try (Stream<Path> files = Files.walk(cluster)) {
            keys = files.filter(file -> file.getFileName().toString().contains("key")
                    && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)).toList();
        }
        assertTrue(keys.size() >= 8, "a key per node and client, and the CA's: " + keys);
        for (Path key : keys) {
            assertEquals(ownerOnly, Files.getPosixFilePermissions(key), key.toString());
            if (!key.startsWith(cluster.resolve("pki"))) {
                assertTrue(key.toString().contains("/tls/..v"), "only identity keys outside pki/: " + key);
            }
        }
        try (Stream<Path> files = Files.walk(cluster.resolve("nodes"))) {
            assertTrue(files.noneMatch(file -> file.getFileName().toString().startsWith("root-key")),
                    "no CA key in any node directory");
        }
    }

    private GitwardProcess.Result gitward(String... args) throws Exception {
        return GitwardProcess.run(dir.resolve("gitward-" + args[0] + ".log"), Map.of(), COMMAND, args);
    }

    /** The JSON document in a command's output (the log holds stdout and stderr together). */
    private static String jsonOf(GitwardProcess.Result result) {
        String output = result.output();
        return output.substring(output.indexOf('{'), output.lastIndexOf('}') + 1);
    }

    /** Splits a printed command line on spaces, keeping "quoted words" together. */
    private static String[] split(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean quoted = false;
        for (char c : line.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ' ' && !quoted) {
                if (word.length() > 0) {
                    words.add(word.toString());
                    word.setLength(0);
                }
            } else {
                word.append(c);
            }
        }
        if (word.length() > 0) {
            words.add(word.toString());
        }
        return words.toArray(String[]::new);
    }
}
