package io.gitward.pki.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitward.security.x509.Certificates;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectAndListTest {
    @TempDir
    Path tmp;

    TestCa ca;
    String serial;

    @BeforeEach
    void createCaWithOneNode() {
        ca = TestCa.init(tmp.resolve("pki"), "--intermediate");
        serial = ca.issue("storage", "storage-1", "--dns", "storage-1.example.com").get("serial").asText();
    }

    @Test
    void inspectShowsACertificatesFactsAsText() throws Exception {
        CliRunner.Result result = CliRunner.ok("inspect", ca.cert("storage", "storage-1").toString());
        List<String> lines = result.outLines();
        assertTrue(lines.contains("subject: CN=storage-1,OU=storage,O=cell-1.gitward"), result::describe);
        assertTrue(lines.contains("issuer: " + ca.intermediateCertificate().getSubjectX500Principal().getName()),
                result::describe);
        assertTrue(lines.contains("serial: " + serial), result::describe);
        assertTrue(lines.contains("sha256: " + Certificates.sha256(ca.certificate("storage", "storage-1"))), result::describe);
        assertTrue(lines.contains("key: ec-p256"), result::describe);
        assertTrue(lines.contains("ca: no"), result::describe);
        assertTrue(lines.contains("key usage: digitalSignature"), result::describe);
        assertTrue(lines.contains("extended key usage: serverAuth, clientAuth"), result::describe);
        assertTrue(lines.contains("uri sans: spiffe://cell-1.gitward/storage/storage-1"), result::describe);
        assertTrue(lines.contains("dns sans: localhost, storage-1.example.com"), result::describe);
        assertTrue(lines.contains("identity: spiffe://cell-1.gitward/storage/storage-1"), result::describe);
    }

    @Test
    void inspectJsonDescribesEveryCertificateOfAChain() {
        JsonNode json = CliRunner.ok("inspect", "--json", ca.chain("storage", "storage-1").toString()).json();
        assertEquals(0, json.get("crls").size());
        JsonNode certificates = json.get("certificates");
        assertEquals(2, certificates.size());
        JsonNode leaf = certificates.get(0);
        assertEquals(serial, leaf.get("serial").asText());
        assertEquals("spiffe://cell-1.gitward/storage/storage-1", leaf.get("identity").asText());
        assertTrue(leaf.get("identity_problem").isNull());
        assertEquals(List.of("serverAuth", "clientAuth"), texts(leaf.get("extended_key_usage")));
        assertEquals(List.of("127.0.0.1", "0:0:0:0:0:0:0:1"), texts(leaf.get("ip_sans")));
        JsonNode intermediate = certificates.get(1);
        assertTrue(intermediate.get("ca").asBoolean());
        assertEquals(0, intermediate.get("path_length").asInt());
        assertEquals(List.of("keyCertSign", "cRLSign"), texts(intermediate.get("key_usage")));
    }

    @Test
    void inspectShowsCrlsAsTextAndJson() throws Exception {
        ca.ok("revoke", "--role", "storage", "--name", "storage-1", "--reason", "superseded");

        CliRunner.Result text = CliRunner.ok("inspect", ca.crl().toString());
        List<String> lines = text.outLines();
        assertTrue(lines.contains("crl number: 2"), text::describe);
        assertTrue(lines.contains("revoked: 1"), text::describe);
        assertTrue(lines.contains("revoked: 0"), "the root's CRL follows, empty\n" + text.describe());
        assertTrue(lines.stream().anyMatch(line -> line.startsWith("  serial " + serial + ": ") && line.endsWith(" superseded")),
                text::describe);

        JsonNode json = CliRunner.ok("inspect", "--json", ca.crl().toString()).json();
        assertEquals(0, json.get("certificates").size());
        JsonNode crls = json.get("crls");
        assertEquals(2, crls.size());
        assertEquals(ca.intermediateCertificate().getSubjectX500Principal().getName(), crls.get(0).get("issuer").asText());
        assertEquals("2", crls.get(0).get("crl_number").asText());
        assertEquals(serial, crls.get(0).get("revoked").get(0).get("serial").asText());
        assertEquals("superseded", crls.get(0).get("revoked").get(0).get("reason").asText());
        assertEquals(0, crls.get(1).get("revoked").size());
    }

    @Test
    void listShowsEveryCertificateWithItsStatus() throws Exception {
        String second = ca.issue("proxy", "proxy-1").get("serial").asText();
        ca.ok("revoke", "--serial", second, "--reason", "cessation-of-operation");

        CliRunner.Result text = ca.ok("list");
        List<String> lines = text.outLines();
        assertEquals(6, lines.size(), text::describe);
        assertTrue(lines.get(0).matches("SERIAL +KIND +IDENTITY +NOT AFTER +STATUS"), text::describe);
        assertTrue(lines.get(1).matches("[0-9a-f]+ +root +- +\\S+ +valid"), text::describe);
        assertTrue(lines.get(2).matches("[0-9a-f]+ +intermediate +- +\\S+ +valid"), text::describe);
        assertTrue(lines.get(3).matches(serial + " +leaf +spiffe://cell-1.gitward/storage/storage-1 +\\S+ +valid"),
                text::describe);
        assertTrue(lines.get(4).matches(second + " +leaf +spiffe://cell-1.gitward/proxy/proxy-1 +\\S+ +revoked \\S+ "
                + "\\(cessation-of-operation\\)"), text::describe);
        assertEquals("crl number 2", lines.get(5));

        JsonNode json = ca.ok("list", "--json").json();
        assertEquals(ca.indexJson(), json, "list --json prints index.json");
        assertEquals(4, json.get("entries").size());
    }

    private static List<String> texts(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asText()));
        return values;
    }
}
