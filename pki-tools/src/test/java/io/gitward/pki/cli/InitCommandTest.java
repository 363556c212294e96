package io.gitward.pki.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitward.security.x509.Certificates;
import io.gitward.security.x509.CryptoPolicy;
import io.gitward.security.x509.KeyPairs;
import io.gitward.security.x509.Pem;
import io.gitward.security.x509.TrustBundle;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class InitCommandTest {
    @TempDir
    Path tmp;

    static Stream<Arguments> configurations() {
        return Stream.of(
                Arguments.of("ec-p256 root signs leaves", "ec-p256", false),
                Arguments.of("ec-p256 intermediate signs leaves", "ec-p256", true),
                Arguments.of("ed25519 root signs leaves", "ed25519", false),
                Arguments.of("ed25519 intermediate signs leaves", "ed25519", true),
                Arguments.of("rsa-3072 root signs leaves", "rsa-3072", false),
                Arguments.of("rsa-3072 intermediate signs leaves", "rsa-3072", true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void initWritesAWorkingCaOfTheRequestedShape(String description, String keyType, boolean intermediate) throws Exception {
        Path dir = tmp.resolve("pki");
        List<String> args = new ArrayList<>(List.of("init", "--dir", dir.toString(), "--trust-domain", TestCa.TRUST_DOMAIN,
                "--key-type", keyType));
        if (intermediate) {
            args.add("--intermediate");
        }
        CliRunner.Result result = CliRunner.run(args).assertExit(0);
        assertTrue(result.out().startsWith("created CA for trust domain cell-1.gitward in " + dir.resolve("ca")),
                result::describe);
        assertEquals("", result.err());
        TestCa ca = new TestCa(dir);

        Set<String> expectedFiles = new TreeSet<>(Set.of("ca.json", "root-key.pem", "root-cert.pem", "roots.pem", "crl.pem",
                "index.json"));
        if (intermediate) {
            expectedFiles.addAll(Set.of("intermediate-key.pem", "intermediate-cert.pem"));
        }
        assertEquals(expectedFiles, fileNames(dir.resolve("ca")));
        assertEquals(Set.of("ca", "nodes"), fileNames(dir), "no staging directory is left behind");

        JsonNode metadata = ca.metadataJson();
        assertEquals("gitward-ca/1", metadata.get("format").asText());
        assertEquals(TestCa.TRUST_DOMAIN, metadata.get("trust_domain").asText());
        assertEquals(keyType, metadata.get("key_type").asText());
        assertEquals(intermediate ? "intermediate" : "root", metadata.get("issuer").asText());
        assertFalse(metadata.get("key_encrypted").asBoolean());
        assertEquals("7d", metadata.get("crl_validity").asText());

        X509Certificate root = ca.rootCertificate();
        assertEquals(root.getSubjectX500Principal(), root.getIssuerX500Principal());
        root.verify(root.getPublicKey());
        assertTrue(Certificates.isCa(root));
        assertEquals(intermediate ? 1 : 0, root.getBasicConstraints(), "root path length");
        assertTrue(root.getSubjectX500Principal().getName().contains("O=" + TestCa.TRUST_DOMAIN));
        assertEquals(keyType, CryptoPolicy.keyDescription(root.getPublicKey()));
        assertEquals(List.of(root), Pem.readCertificatesRequired(ca.roots()), "roots.pem is the root certificate");
        assertUnencryptedKeyOf(ca.caFile("root-key.pem"), root);

        X509Certificate issuer = root;
        if (intermediate) {
            issuer = ca.intermediateCertificate();
            issuer.verify(root.getPublicKey());
            assertEquals(root.getSubjectX500Principal(), issuer.getIssuerX500Principal());
            assertTrue(Certificates.isCa(issuer));
            assertEquals(0, issuer.getBasicConstraints(), "intermediate path length");
            assertEquals(keyType, CryptoPolicy.keyDescription(issuer.getPublicKey()));
            assertUnencryptedKeyOf(ca.caFile("intermediate-key.pem"), issuer);
        }

        JsonNode index = ca.indexJson();
        assertEquals("gitward-ca-index/1", index.get("format").asText());
        assertEquals(1, index.get("crl_number").asLong());
        List<String> kinds = new ArrayList<>();
        for (JsonNode entry : index.get("entries")) {
            kinds.add(entry.get("kind").asText());
            assertEquals("init", entry.get("source").asText());
        }
        assertEquals(intermediate ? List.of("root", "intermediate") : List.of("root"), kinds);
        assertEquals(Certificates.serialHex(root), index.get("entries").get(0).get("serial").asText());

        List<X509CRL> crls = ca.crls();
        assertEquals(intermediate ? 2 : 1, crls.size(), "one CRL per CA certificate");
        assertEquals(issuer.getSubjectX500Principal(), crls.get(0).getIssuerX500Principal(), "the issuing CA's CRL first");
        crls.get(0).verify(issuer.getPublicKey());
        crls.get(crls.size() - 1).verify(root.getPublicKey());
        for (X509CRL crl : crls) {
            assertEquals(BigInteger.ONE, TrustBundle.crlNumber(crl));
            assertEquals(Duration.ofDays(7), Duration.between(crl.getThisUpdate().toInstant(), crl.getNextUpdate().toInstant()));
        }

        JsonNode leaf = ca.issue("storage", "storage-1", "--no-local-sans");
        List<X509Certificate> chain = Pem.readCertificatesRequired(Path.of(leaf.get("files").get("chain").asText()));
        assertEquals(intermediate ? 2 : 1, chain.size());
        chain.get(0).verify(issuer.getPublicKey());
    }

    @Test
    void aPassphraseFileEncryptsEveryCaKeyAndEverySigningCommandNeedsIt() throws Exception {
        Path passphrase = tmp.resolve("passphrase");
        Files.writeString(passphrase, "correct horse battery staple\n");
        TestCa ca = TestCa.init(tmp.resolve("pki"), "--intermediate", "--passphrase-file", passphrase.toString());

        assertTrue(ca.metadataJson().get("key_encrypted").asBoolean());
        char[] secret = "correct horse battery staple".toCharArray();
        for (String file : List.of("root-key.pem", "intermediate-key.pem")) {
            String pem = Files.readString(ca.caFile(file), StandardCharsets.US_ASCII);
            assertTrue(pem.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"), file + " must be encrypted");
            assertFalse(pem.contains("-----BEGIN PRIVATE KEY-----"), file);
        }
        assertTrue(KeyPairs.matches(Pem.readPrivateKey(ca.caFile("root-key.pem"), secret), ca.rootCertificate().getPublicKey()));
        assertTrue(KeyPairs.matches(Pem.readPrivateKey(ca.caFile("intermediate-key.pem"), secret),
                ca.intermediateCertificate().getPublicKey()));

        String pass = passphrase.toString();
        ca.ok("issue", "--role", "storage", "--name", "storage-1", "--passphrase-file", pass);
        ca.ok("renew", "--role", "storage", "--name", "storage-1", "--passphrase-file", pass);
        ca.ok("verify", ca.chain("storage", "storage-1").toString());
        ca.ok("revoke", "--role", "storage", "--name", "storage-1", "--passphrase-file", pass);
        ca.ok("crl", "--passphrase-file", pass);
        CliRunner.Result verify = ca.run("verify", ca.chain("storage", "storage-1").toString()).assertExit(1);
        assertTrue(verify.out().startsWith("invalid: revoked"), verify::describe);
        assertTrue(Files.readString(ca.key("storage", "storage-1")).startsWith("-----BEGIN PRIVATE KEY-----"),
                "node keys are plain PKCS#8: the node must read them unattended");
    }

    @Test
    void ttlAndCrlValidityAreHonoured() throws Exception {
        TestCa ca = TestCa.init(tmp.resolve("pki"), "--ttl", "30d", "--crl-validity", "2d");
        X509Certificate root = ca.rootCertificate();
        assertEquals(Duration.ofDays(30), Duration.between(root.getNotBefore().toInstant(), root.getNotAfter().toInstant()));
        assertEquals("2d", ca.metadataJson().get("crl_validity").asText());
        X509CRL crl = ca.crls().get(0);
        assertEquals(Duration.ofDays(2), Duration.between(crl.getThisUpdate().toInstant(), crl.getNextUpdate().toInstant()));
        ca.ok("crl");
        crl = ca.crls().get(0);
        assertEquals(Duration.ofDays(2), Duration.between(crl.getThisUpdate().toInstant(), crl.getNextUpdate().toInstant()),
                "a later 'pki crl' keeps the CA's validity");
    }

    @Test
    void initUsesAnExistingEmptyDirectory() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("pki"));
        TestCa ca = TestCa.init(dir);
        assertTrue(Files.isRegularFile(ca.caFile("ca.json")));
    }

    private static void assertUnencryptedKeyOf(Path keyFile, X509Certificate certificate) throws Exception {
        String pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
        assertTrue(pem.startsWith("-----BEGIN PRIVATE KEY-----"), keyFile::toString);
        PrivateKey key = Pem.readPrivateKey(keyFile, null);
        assertTrue(KeyPairs.matches(key, certificate.getPublicKey()), () -> keyFile + " matches " + certificate);
    }

    private static Set<String> fileNames(Path dir) throws Exception {
        Set<String> names = new TreeSet<>();
        try (Stream<Path> list = Files.list(dir)) {
            list.map(path -> path.getFileName().toString()).filter(name -> !name.equals(".lock")).forEach(names::add);
        }
        return names;
    }
}
