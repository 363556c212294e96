package io.gitward.pki.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitward.security.identity.CertificateIdentities;
import io.gitward.security.identity.IdentityMode;
import io.gitward.security.x509.KeyPairs;
import io.gitward.security.x509.Pem;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CsrSignTest {
    @TempDir
    Path tmp;

    TestCa ca;
    Path node;

    @BeforeEach
    void createCaAndNode() {
        ca = TestCa.init(tmp.resolve("pki"), "--intermediate");
        node = tmp.resolve("node");
    }

    @Test
    void csrWritesAKeyAndARequestThatNamesTheIdentity() throws Exception {
        Path key = node.resolve("tls/key.pem");
        Path request = node.resolve("req.pem");
        CliRunner.Result result = CliRunner.ok("csr", "--key-out", key.toString(), "--out", request.toString(),
                "--role", "storage", "--name", "storage-1", "--trust-domain", TestCa.TRUST_DOMAIN);
        assertEquals("wrote key " + key + " (0600) and request " + request + " for spiffe://cell-1.gitward/storage/storage-1",
                result.out().strip());

        PKCS10CertificationRequest csr = Pem.readCsr(request);
        assertEquals("O=cell-1.gitward,OU=storage,CN=storage-1", csr.getSubject().toString());
        assertEquals(List.of("spiffe://cell-1.gitward/storage/storage-1"), requestedUris(csr));
        PrivateKey privateKey = Pem.readPrivateKey(key, null);
        assertTrue(KeyPairs.matches(privateKey, new JcaPEMKeyConverter().getPublicKey(csr.getSubjectPublicKeyInfo())));
    }

    @ParameterizedTest(name = "csr and sign with key type {0}")
    @ValueSource(strings = {"ec-p256", "ed25519"})
    void signIssuesACertificateForTheNodesOwnKeyAndTheKeyNeverReachesTheCa(String keyType) throws Exception {
        Path key = node.resolve("key.pem");
        Path request = node.resolve("req.pem");
        CliRunner.ok("csr", "--key-out", key.toString(), "--out", request.toString(), "--role", "storage", "--name",
                "storage-1", "--trust-domain", TestCa.TRUST_DOMAIN, "--key-type", keyType);

        JsonNode json = ca.ok("sign", "--role", "storage", "--name", "storage-1", "--csr", request.toString(), "--json").json();
        X509Certificate leaf = IssuedJson.assertIssued(json, ca, "storage", "storage-1", keyType, false);

        assertTrue(KeyPairs.matches(Pem.readPrivateKey(key, null), leaf.getPublicKey()), "certified key is the node's key");
        assertEquals(TestCa.spiffeId("storage", "storage-1"),
                CertificateIdentities.identityOf(leaf, IdentityMode.URI_SAN).spiffeId());
        assertEquals(List.of(leaf, ca.intermediateCertificate()), Pem.readCertificatesRequired(ca.chain("storage", "storage-1")));
        assertFalse(Files.exists(ca.key("storage", "storage-1")), "no key.pem in the CA's node directory");
        String nodeKeyBase64 = base64Body(Files.readString(key, StandardCharsets.US_ASCII));
        try (Stream<Path> files = Files.walk(ca.dir())) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                assertFalse(base64Body(Files.readString(file, StandardCharsets.ISO_8859_1)).contains(nodeKeyBase64),
                        () -> "the node's key leaked into " + file);
            }
        }
        assertEquals("sign", ca.indexEntry(json.get("serial").asText()).get("source").asText());
        ca.ok("verify", ca.chain("storage", "storage-1").toString());
    }

    @Test
    void signPrintsWhatItWroteWithoutAKeyLine() {
        Path request = node.resolve("req.pem");
        CliRunner.ok("csr", "--key-out", node.resolve("key.pem").toString(), "--out", request.toString(), "--role", "proxy",
                "--name", "proxy-1", "--trust-domain", TestCa.TRUST_DOMAIN);
        CliRunner.Result result = ca.ok("sign", "--role", "proxy", "--name", "proxy-1", "--csr", request.toString());
        assertTrue(result.out().startsWith("signed spiffe://cell-1.gitward/proxy/proxy-1 (serial "), result::describe);
        assertFalse(result.out().contains("key:"), result::describe);
        assertTrue(result.out().contains("  certificate: " + ca.cert("proxy", "proxy-1").toAbsolutePath()), result::describe);
    }

    @Test
    void aNewRequestFromTheNodeReplacesItsCertificateAndBothStayOnRecord() throws Exception {
        Path request = node.resolve("req.pem");
        CliRunner.ok("csr", "--key-out", node.resolve("key.pem").toString(), "--out", request.toString(), "--role", "proxy",
                "--name", "proxy-1", "--trust-domain", TestCa.TRUST_DOMAIN);
        String first = ca.ok("sign", "--role", "proxy", "--name", "proxy-1", "--csr", request.toString(), "--json").json()
                .get("serial").asText();
        CliRunner.ok("csr", "--force", "--key-out", node.resolve("key.pem").toString(), "--out", request.toString(), "--role",
                "proxy", "--name", "proxy-1", "--trust-domain", TestCa.TRUST_DOMAIN);
        String second = ca.ok("sign", "--role", "proxy", "--name", "proxy-1", "--csr", request.toString(), "--json").json()
                .get("serial").asText();
        assertNotEquals(first, second);
        assertTrue(KeyPairs.matches(Pem.readPrivateKey(node.resolve("key.pem"), null),
                ca.certificate("proxy", "proxy-1").getPublicKey()));
        assertTrue(ca.indexEntry(first).get("revoked_at").isNull());
        assertEquals("sign", ca.indexEntry(second).get("source").asText());
    }

    private static String base64Body(String pem) {
        return pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    }

    private static List<String> requestedUris(PKCS10CertificationRequest csr) {
        Extensions extensions = Extensions.getInstance(
                csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)[0].getAttributeValues()[0]);
        GeneralNames names = GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
        return Stream.of(names.getNames()).filter(name -> name.getTagNo() == GeneralName.uniformResourceIdentifier)
                .map(name -> name.getName().toString()).toList();
    }
}
