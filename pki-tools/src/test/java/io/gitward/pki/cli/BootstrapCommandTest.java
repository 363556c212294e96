package io.gitward.pki.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootstrapCommandTest {
    private static final Set<String> KEYS = new TreeSet<>(Set.of("trust_domain", "ca_created", "roots", "crl", "issued",
            "existing"));

    @TempDir
    Path tmp;

    @Test
    void theFirstRunCreatesTheCaAndIssuesEveryNode() throws Exception {
        Path dir = tmp.resolve("pki");
        JsonNode json = bootstrap(dir, "--json", "--intermediate", "--node", "storage:storage-1", "--node", "proxy:proxy-1")
                .json();
        TestCa ca = new TestCa(dir);
        assertEquals(KEYS, IssuedJson.fieldNames(json));
        assertEquals(TestCa.TRUST_DOMAIN, json.get("trust_domain").asText());
        assertTrue(json.get("ca_created").asBoolean());
        assertEquals(ca.roots().toAbsolutePath().toString(), json.get("roots").asText());
        assertEquals(ca.crl().toAbsolutePath().toString(), json.get("crl").asText());
        assertEquals(0, json.get("existing").size());
        assertEquals(2, json.get("issued").size());
        IssuedJson.assertIssued(json.get("issued").get(0), ca, "storage", "storage-1", "ec-p256", true);
        IssuedJson.assertIssued(json.get("issued").get(1), ca, "proxy", "proxy-1", "ec-p256", true);
        assertEquals("intermediate", ca.metadataJson().get("issuer").asText());
        ca.ok("verify", "--role", "proxy", ca.chain("proxy", "proxy-1").toString());
    }

    @Test
    void aSecondRunIssuesNothingAndListsWhatExists() {
        Path dir = tmp.resolve("pki");
        bootstrap(dir, "--node", "storage:storage-1", "--node", "proxy:proxy-1");
        DirectorySnapshot before = DirectorySnapshot.of(tmp);

        CliRunner.Result again = bootstrap(dir, "--json", "--node", "storage:storage-1", "--node", "proxy:proxy-1");
        JsonNode json = again.json();
        assertFalse(json.get("ca_created").asBoolean());
        assertEquals(0, json.get("issued").size());
        assertEquals(List.of("spiffe://cell-1.gitward/storage/storage-1", "spiffe://cell-1.gitward/proxy/proxy-1"),
                texts(json.get("existing")));
        DirectorySnapshot.of(tmp).assertUnchangedSince(before, again.describe());

        CliRunner.Result text = bootstrap(dir, "--node", "storage:storage-1", "--node", "proxy:proxy-1");
        assertEquals(List.of("reused CA for cell-1.gitward in " + dir.resolve("ca"),
                "kept spiffe://cell-1.gitward/storage/storage-1 (already issued)",
                "kept spiffe://cell-1.gitward/proxy/proxy-1 (already issued)"), text.outLines());
        DirectorySnapshot.of(tmp).assertUnchangedSince(before, text.describe());
    }

    @Test
    void aNodeAddedLaterIsTheOnlyOneIssued() {
        Path dir = tmp.resolve("pki");
        CliRunner.Result first = bootstrap(dir, "--node", "storage:storage-1");
        assertTrue(first.outLines().get(0).startsWith("created CA for cell-1.gitward in "), first::describe);
        assertTrue(first.outLines().get(1).startsWith("issued spiffe://cell-1.gitward/storage/storage-1 (serial "),
                first::describe);

        JsonNode json = bootstrap(dir, "--json", "--node", "storage:storage-1", "--node", "storage:storage-2").json();
        assertEquals(1, json.get("issued").size());
        assertEquals("spiffe://cell-1.gitward/storage/storage-2", json.get("issued").get(0).get("identity").asText());
        assertEquals(List.of("spiffe://cell-1.gitward/storage/storage-1"), texts(json.get("existing")));
    }

    private static CliRunner.Result bootstrap(Path dir, String... args) {
        List<String> all = new ArrayList<>(List.of("bootstrap", "--dir", dir.toString(), "--trust-domain",
                TestCa.TRUST_DOMAIN));
        all.addAll(List.of(args));
        return CliRunner.run(all).assertExit(0);
    }

    private static List<String> texts(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asText()));
        return values;
    }
}
