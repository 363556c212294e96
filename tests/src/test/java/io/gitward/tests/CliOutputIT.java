package io.gitward.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitward.security.json.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Output of real {@code ./gitward} processes reaches stdout whole, also when a command prints no final line end
 * (JSON documents): the process flushes before it exits.
 */
class CliOutputIT {
    @TempDir
    Path dir;

    @Test
    void jsonOutputWithoutALineEndIsNotLostAtExit() throws Exception {
        Path pki = dir.resolve("pki");
        assertEquals(0, run("pki", "init", "--dir", pki.toString(), "--trust-domain", "cell-1.gitward").exitCode());
        GitwardProcess.Result crl = run("pki", "crl", "--dir", pki.toString(), "--json");
        assertEquals(0, crl.exitCode(), crl.output());
        JsonNode facts = Json.mapper().readTree(crl.output().substring(crl.output().indexOf('{')));
        assertTrue(facts.get("crl_number").asLong() >= 1, crl.output());
        GitwardProcess.Result inspect = run("pki", "inspect", "--json", pki.resolve("ca/crl.pem").toString());
        assertEquals(0, inspect.exitCode(), inspect.output());
        assertTrue(inspect.output().contains("{") && inspect.output().strip().endsWith("}"), inspect.output());
    }

    private GitwardProcess.Result run(String... args) throws Exception {
        return GitwardProcess.run(dir.resolve(args[1] + ".log"), Map.of(), Duration.ofMinutes(2), args);
    }
}
