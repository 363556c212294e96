package io.gitward.pki.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitward.security.identity.CertificateIdentities;
import io.gitward.security.identity.IdentityMode;
import io.gitward.security.x509.Certificates;
import io.gitward.security.x509.KeyPairs;
import io.gitward.security.x509.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IssueAndRenewTest {
    @TempDir
    Path tmp;

    TestCa ca;

    @BeforeEach
    void createCa() {
        ca = TestCa.init(tmp.resolve("pki"), "--intermediate");
    }

    @Test
    void issuePrintsWhatItWroteAndTheCertificateCarriesTheIdentity() throws Exception {
        CliRunner.Result result = ca.ok("issue", "--role", "storage", "--name", "storage-1");
        X509Certificate leaf = ca.certificate("storage", "storage-1");
        List<String> lines = result.outLines();
        assertTrue(lines.get(0).startsWith("issued spiffe://cell-1.gitward/storage/storage-1 (serial "), result::describe);
        assertTrue(lines.contains("  key:         " + ca.key("storage", "storage-1").toAbsolutePath()), result::describe);
        assertTrue(lines.contains("  certificate: " + ca.cert("storage", "storage-1").toAbsolutePath()), result::describe);
        assertTrue(lines.contains("  chain:       " + ca.chain("storage", "storage-1").toAbsolutePath()), result::describe);
        assertTrue(lines.contains("  roots:       " + ca.roots().toAbsolutePath()), result::describe);
        assertTrue(lines.contains("  crl:         " + ca.crl().toAbsolutePath()), result::describe);
        assertEquals("", result.err());

        assertEquals(TestCa.spiffeId("storage", "storage-1"),
                CertificateIdentities.identityOf(leaf, IdentityMode.URI_SAN).spiffeId());
        assertEquals(List.of(leaf, ca.intermediateCertificate()), Pem.readCertificatesRequired(ca.chain("storage", "storage-1")));
        assertTrue(KeyPairs.matches(Pem.readPrivateKey(ca.key("storage", "storage-1"), null), leaf.getPublicKey()));
        assertEquals(List.of("6:spiffe://cell-1.gitward/storage/storage-1", "2:localhost", "7:127.0.0.1", "7:0:0:0:0:0:0:0:1"),
                altNames(leaf), "default SANs let curl reach a local node");

        JsonNode entry = ca.indexEntry(Certificates.serialHex(leaf));
        assertEquals("leaf", entry.get("kind").asText());
        assertEquals("issue", entry.get("source").asText());
        assertEquals(TestCa.spiffeId("storage", "storage-1"), entry.get("identity").asText());
        assertEquals("intermediate", entry.get("issuer").asText());
        assertTrue(entry.get("revoked_at").isNull());
    }

    @Test
    void extraSansAreWrittenAndTheLocalOnesCanBeLeftOut() throws Exception {
        ca.ok("issue", "--role", "proxy", "--name", "proxy-1", "--dns", "Proxy-1.Example.com", "--ip", "10.0.0.5",
                "--ip", "2001:db8::1", "--no-local-sans");
        assertEquals(List.of("6:spiffe://cell-1.gitward/proxy/proxy-1", "2:proxy-1.example.com", "7:10.0.0.5",
                "7:2001:db8:0:0:0:0:0:1"), altNames(ca.certificate("proxy", "proxy-1")));
    }

    @Test
    void ttlSetsTheLifetimeAndTheCertificateStartsSlightlyEarly() throws Exception {
        Instant before = Instant.now();
        ca.ok("issue", "--role", "admin", "--name", "alice", "--ttl", "90m");
        X509Certificate leaf = ca.certificate("admin", "alice");
        Duration untilExpiry = Duration.between(before, leaf.getNotAfter().toInstant());
        assertTrue(untilExpiry.compareTo(Duration.ofMinutes(90).minusSeconds(2)) >= 0
                && untilExpiry.compareTo(Duration.ofMinutes(90).plusSeconds(60)) <= 0, () -> "not after " + leaf.getNotAfter());
        assertFalse(leaf.getNotBefore().toInstant().isAfter(before), "valid from the moment it is issued");
    }

    @ParameterizedTest(name = "issue --json with key type {0}")
    @ValueSource(strings = {"ec-p256", "ed25519"})
    void issueJsonHasExactlyTheDocumentedKeys(String keyType) throws Exception {
        JsonNode json = ca.ok("issue", "--role", "storage", "--name", "storage-1", "--key-type", keyType, "--json").json();
        X509Certificate leaf = IssuedJson.assertIssued(json, ca, "storage", "storage-1", keyType, true);
        assertTrue(KeyPairs.matches(Pem.readPrivateKey(Path.of(json.get("files").get("key").asText()), null),
                leaf.getPublicKey()));
    }

    @Test
    void renewGivesANewKeyAndSerialForTheSameIdentityAndTheOldCertificateStaysValid() throws Exception {
        JsonNode first = ca.issue("storage", "storage-1");
        String oldKey = Files.readString(ca.key("storage", "storage-1"));
        X509Certificate oldLeaf = ca.certificate("storage", "storage-1");
        Path oldChain = Files.copy(ca.chain("storage", "storage-1"), tmp.resolve("old-chain.pem"));

        JsonNode renewed = ca.ok("renew", "--role", "storage", "--name", "storage-1", "--key-type", "ed25519", "--json").json();
        X509Certificate newLeaf = IssuedJson.assertIssued(renewed, ca, "storage", "storage-1", "ed25519", true);

        assertNotEquals(first.get("serial").asText(), renewed.get("serial").asText());
        assertNotEquals(oldKey, Files.readString(ca.key("storage", "storage-1")));
        assertNotEquals(oldLeaf.getPublicKey(), newLeaf.getPublicKey());
        assertTrue(KeyPairs.matches(Pem.readPrivateKey(ca.key("storage", "storage-1"), null), newLeaf.getPublicKey()));
        assertEquals(oldLeaf.getSubjectX500Principal(), newLeaf.getSubjectX500Principal());
        assertEquals(CertificateIdentities.identityOf(oldLeaf, IdentityMode.URI_SAN),
                CertificateIdentities.identityOf(newLeaf, IdentityMode.URI_SAN));

        JsonNode oldEntry = ca.indexEntry(first.get("serial").asText());
        JsonNode newEntry = ca.indexEntry(renewed.get("serial").asText());
        assertEquals("issue", oldEntry.get("source").asText());
        assertTrue(oldEntry.get("revoked_at").isNull(), "renewal does not revoke the previous certificate");
        assertEquals("renew", newEntry.get("source").asText());
        assertEquals(TestCa.spiffeId("storage", "storage-1"), newEntry.get("identity").asText());

        CliRunner.Result verifyOld = ca.ok("verify", oldChain.toString());
        assertTrue(verifyOld.out().contains("valid: spiffe://cell-1.gitward/storage/storage-1 (serial "
                + first.get("serial").asText()), verifyOld::describe);
    }

    @Test
    void renewPrintsWhatItReplaced() {
        ca.issue("client", "rails");
        CliRunner.Result result = ca.ok("renew", "--role", "client", "--name", "rails");
        assertTrue(result.out().startsWith("renewed spiffe://cell-1.gitward/client/rails (serial "), result::describe);
    }

    static List<String> altNames(X509Certificate certificate) throws Exception {
        List<String> names = new ArrayList<>();
        for (List<?> name : certificate.getSubjectAlternativeNames()) {
            names.add(name.get(0) + ":" + name.get(1));
        }
        return names;
    }
}
