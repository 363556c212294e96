package io.gitward.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitward.pki.cli.PkiCommand;
import io.gitward.security.files.SecureFiles;
import io.gitward.security.json.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docs/contracts.md sections 2 and 3: the files a CA writes, their modes, and the --json schema. */
class PkiContractTest {
    @TempDir
    Path dir;

    @Test
    void caWithIntermediateAndOneIssuedNodeHasExactlyTheDocumentedFilesAndModes() throws Exception {
        pki("init", "--dir", dir.toString(), "--trust-domain", "contract.gitward", "--intermediate");
        pki("issue", "--dir", dir.toString(), "--role", "storage", "--name", "storage-1");

        Map<String, String> documented = new TreeMap<>();
        for (String line : ContractsDocument.load().fencedBlock("pki-layout")) {
            String[] parts = line.trim().split("\\s+");
            documented.put(parts[0].replace("<role>", "storage").replace("<name>", "storage-1"), parts[1]);
        }
        Map<String, String> actual = new TreeMap<>();
        try (var files = Files.walk(dir)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                actual.put(dir.relativize(file).toString(), SecureFiles.mode(Files.getPosixFilePermissions(file)));
            }
        }
        assertEquals(documented, actual);
        assertEquals("0700", SecureFiles.mode(Files.getPosixFilePermissions(dir.resolve("ca"))));
        assertEquals("0700", SecureFiles.mode(Files.getPosixFilePermissions(dir.resolve("nodes/storage/storage-1"))));
    }

    @Test
    void anOfflineRootAndOneCellHaveExactlyTheDocumentedFilesAndModes() throws Exception {
        Path root = dir.resolve("root");
        Path cell = dir.resolve("cell");
        pki("init", "--dir", root.toString(), "--trust-domain", "contract.gitward", "--offline-root");
        pki("init-cell", "--root", root.toString(), "--dir", cell.toString(), "--trust-domain", "cell-1.contract.gitward");
        pki("issue", "--dir", cell.toString(), "--role", "storage", "--name", "storage-1");

        Map<String, String> documented = new TreeMap<>();
        for (String line : ContractsDocument.load().fencedBlock("cell-layout")) {
            String[] parts = line.trim().split("\\s+");
            documented.put(parts[0].replace("<role>", "storage").replace("<name>", "storage-1"), parts[1]);
        }
        Map<String, String> actual = new TreeMap<>();
        for (Map.Entry<String, Path> top : Map.of("ROOT", root, "CELL", cell).entrySet()) {
            try (var files = Files.walk(top.getValue())) {
                for (Path file : files.filter(Files::isRegularFile).toList()) {
                    actual.put(top.getKey() + "/" + top.getValue().relativize(file),
                            SecureFiles.mode(Files.getPosixFilePermissions(file)));
                }
            }
        }
        assertEquals(documented, actual);
    }

    @Test
    void issueJsonHasTheDocumentedKeys() throws Exception {
        pki("init", "--dir", dir.toString(), "--trust-domain", "contract.gitward");
        JsonNode issued = Json.mapper().readTree(pki("issue", "--dir", dir.toString(), "--role", "proxy", "--name", "p1",
                "--json"));
        JsonNode documented = Json.mapper().readTree(String.join("\n", ContractsDocument.load().fencedBlock("issue-json")));
        assertEquals(keys(documented), keys(issued));
        assertEquals("spiffe://contract.gitward/proxy/p1", issued.get("identity").asText());
        for (Iterator<String> names = issued.get("files").fieldNames(); names.hasNext();) {
            String name = names.next();
            assertEquals(true, Files.isRegularFile(Path.of(issued.get("files").get(name).asText())), name);
        }
    }

    /** Every key path ("files.key" style) of a JSON object. */
    private static TreeSet<String> keys(JsonNode node) {
        TreeSet<String> keys = new TreeSet<>();
        collect(node, "", keys);
        return keys;
    }

    private static void collect(JsonNode node, String prefix, TreeSet<String> keys) {
        for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext();) {
            Map.Entry<String, JsonNode> field = fields.next();
            String key = prefix + field.getKey();
            keys.add(key);
            if (field.getValue().isObject()) {
                collect(field.getValue(), key + ".", keys);
            }
        }
    }

    private static String pki(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = PkiCommand.execute(new PrintWriter(out), new PrintWriter(err), args);
        assertEquals(0, code, () -> String.join(" ", args) + " failed: " + err);
        return out.toString();
    }
}
