package io.gitward.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitward.pki.cli.PkiCommand;
import io.gitward.security.json.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docs/contracts.md section 6: a running node's ready.json has the documented fields and values. */
class ReadyFileContractIT {
    @TempDir
    Path dir;

    @Test
    void readyJsonOfANodeWithACertificateMatchesTheContract() throws Exception {
        int code = PkiCommand.execute(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), "bootstrap",
                "--dir", dir.resolve("pki").toString(), "--trust-domain", "cell-1.gitward", "--node", "storage:storage-1");
        assertEquals(0, code);
        TestTokens.writeSecret(dir.resolve("token"), "ready-file-contract-secret");
        Path config = dir.resolve("storage.conf");
        Files.writeString(config, String.join("\n",
                "node.name = storage-1",
                "node.data-dir = data",
                "storage.root = repos",
                "security.trust-domain = cell-1.gitward",
                "security.tokens.file = token",
                "security.tls.certificate-chain = pki/nodes/storage/storage-1/chain.pem"));
        try (GitwardProcess node = GitwardProcess.start(dir.resolve("node.log"), Map.of(), "node", "storage", "--config",
                config.toString())) {
            node.awaitReady(dir.resolve("data/ready.json"), Duration.ofSeconds(60));
            JsonNode actual = Json.mapper().readTree(dir.resolve("data/ready.json").toFile());
            JsonNode documented = Json.mapper().readTree(String.join("\n",
                    ContractsDocument.load().fencedBlock("ready-json")));
            assertEquals(fieldNames(documented), fieldNames(actual));
            assertEquals(fieldNames(documented.get("listeners")), fieldNames(actual.get("listeners")));
            assertEquals("gitward.ready/v1", actual.get("schema").asText());
            assertEquals("spiffe://cell-1.gitward/storage/storage-1", actual.get("identity").asText());
            // The launcher execs java, so the process started here is the JVM that wrote ready.json.
            assertEquals(node.pid(), actual.get("pid").asLong());
        }
    }

    private static TreeSet<String> fieldNames(JsonNode node) {
        TreeSet<String> names = new TreeSet<>();
        for (Iterator<String> iterator = node.fieldNames(); iterator.hasNext();) {
            names.add(iterator.next());
        }
        return names;
    }
}
