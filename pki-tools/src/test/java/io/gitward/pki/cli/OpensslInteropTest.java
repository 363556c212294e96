package io.gitward.pki.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What {@code pki-tools} writes is plain PEM that OpenSSL 3 accepts: certificates issued and CSR-signed, with and
 * without an intermediate, for every key type; CRLs that make OpenSSL refuse a revoked certificate; and
 * passphrase-protected CA keys OpenSSL can decrypt.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpensslInteropTest {
    /** Key type of the CA and its nodes, and whether an intermediate signs the leaves. */
    enum Shape {
        EC_P256_ROOT("ec-p256", false),
        EC_P256_INTERMEDIATE("ec-p256", true),
        ED25519_ROOT("ed25519", false),
        ED25519_INTERMEDIATE("ed25519", true),
        RSA_3072_ROOT("rsa-3072", false),
        RSA_3072_INTERMEDIATE("rsa-3072", true);

        final String keyType;
        final boolean intermediate;

        Shape(String keyType, boolean intermediate) {
            this.keyType = keyType;
            this.intermediate = intermediate;
        }

        @Override
        public String toString() {
            return keyType + (intermediate ? ", an intermediate signs leaves" : ", the root signs leaves");
        }
    }

    /** Static: JUnit injects it before {@code @BeforeAll}, and every test of the class shares the CAs built there. */
    @TempDir
    static Path tmp;

    private final Map<Shape, TestCa> cas = new EnumMap<>(Shape.class);

    /**
     * One CA per shape with three nodes: storage/issued (issued, shape's key type), proxy/signed (signed from a
     * {@code pki csr} request, shape's key type) and storage/to-revoke (EC; only its CA's CRL is under test). Built
     * two at a time: RSA-3072 key generation dominates the run time of this class.
     */
    @BeforeAll
    void buildOneCaPerShape() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Map<Shape, Future<TestCa>> pending = new EnumMap<>(Shape.class);
            for (Shape shape : Shape.values()) {
                pending.put(shape, pool.submit(() -> build(shape)));
            }
            for (Map.Entry<Shape, Future<TestCa>> entry : pending.entrySet()) {
                cas.put(entry.getKey(), entry.getValue().get(3, TimeUnit.MINUTES));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private TestCa build(Shape shape) {
        String name = shape.name().toLowerCase(Locale.ROOT);
        List<String> init = new ArrayList<>(List.of("--key-type", shape.keyType));
        if (shape.intermediate) {
            init.add("--intermediate");
        }
        TestCa ca = TestCa.init(tmp.resolve(name), init.toArray(new String[0]));
        ca.issue("storage", "issued", "--key-type", shape.keyType);
        Path node = tmp.resolve(name + "-node");
        CliRunner.ok("csr", "--key-out", node.resolve("key.pem").toString(), "--out", node.resolve("req.pem").toString(),
                "--role", "proxy", "--name", "signed", "--trust-domain", TestCa.TRUST_DOMAIN, "--key-type", shape.keyType);
        ca.ok("sign", "--role", "proxy", "--name", "signed", "--csr", node.resolve("req.pem").toString());
        ca.issue("storage", "to-revoke");
        return ca;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Shape.class)
    void opensslVerifyAcceptsIssuedAndCsrSignedCertificates(Shape shape) {
        TestCa ca = cas.get(shape);
        for (String[] node : new String[][] {{"storage", "issued"}, {"proxy", "signed"}}) {
            Path cert = ca.cert(node[0], node[1]);
            Openssl.Result result = Openssl.ok("verify", "-CAfile", ca.roots().toString(), "-untrusted",
                    ca.chain(node[0], node[1]).toString(), cert.toString());
            assertEquals(cert + ": OK", result.output().strip(), result::describe);
            Openssl.Result strict = Openssl.ok("verify", "-x509_strict", "-crl_check_all", "-CRLfile", ca.crl().toString(),
                    "-CAfile", ca.roots().toString(), "-untrusted", ca.chain(node[0], node[1]).toString(), cert.toString());
            assertEquals(cert + ": OK", strict.output().strip(), strict::describe);
        }
        Path nodeKey = tmp.resolve(shape.name().toLowerCase(Locale.ROOT) + "-node/key.pem");
        assertSameKey(ca.cert("storage", "issued"), ca.key("storage", "issued"));
        assertSameKey(ca.cert("proxy", "signed"), nodeKey);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Shape.class)
    void opensslShowsTheIdentityTheUsagesAndTheSubject(Shape shape) {
        TestCa ca = cas.get(shape);
        for (String[] node : new String[][] {{"storage", "issued"}, {"proxy", "signed"}}) {
            String role = node[0];
            String name = node[1];
            Openssl.Result result = Openssl.ok("x509", "-in", ca.cert(role, name).toString(), "-text", "-noout");
            String text = result.output();
            assertTrue(text.contains("URI:spiffe://cell-1.gitward/" + role + "/" + name), result::describe);
            assertTrue(text.contains("Subject: O = cell-1.gitward, OU = " + role + ", CN = " + name + "\n"), result::describe);
            assertTrue(text.contains("TLS Web Server Authentication"), result::describe);
            assertTrue(text.contains("TLS Web Client Authentication"), result::describe);
            assertTrue(text.contains("Digital Signature"), result::describe);
            assertTrue(text.contains("CA:FALSE"), result::describe);
            assertTrue(text.contains(switch (shape.keyType) {
                case "ec-p256" -> "NIST CURVE: P-256";
                case "ed25519" -> "Public Key Algorithm: ED25519";
                default -> "Public-Key: (3072 bit)";
            }), result::describe);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Shape.class)
    void aRevokedCertificateIsRefusedByOpensslAndByPkiVerify(Shape shape) {
        TestCa ca = cas.get(shape);
        String cert = ca.cert("storage", "to-revoke").toString();
        String chain = ca.chain("storage", "to-revoke").toString();
        Openssl.Result before = Openssl.ok("verify", "-crl_check_all", "-CRLfile", ca.crl().toString(), "-CAfile",
                ca.roots().toString(), "-untrusted", chain, cert);
        assertEquals(cert + ": OK", before.output().strip(), "openssl accepts every CRL of the CA\n" + before.describe());

        ca.ok("revoke", "--role", "storage", "--name", "to-revoke", "--reason", "key-compromise");

        Openssl.Result after = Openssl.run("verify", "-crl_check", "-CRLfile", ca.crl().toString(), "-CAfile",
                ca.roots().toString(), "-untrusted", chain, cert);
        assertNotEquals(0, after.exitCode(), after::describe);
        assertTrue(after.output().contains("certificate revoked"), after::describe);

        CliRunner.Result pki = ca.run("verify", chain).assertExit(1);
        assertTrue(pki.out().startsWith("invalid: revoked"), pki::describe);

        String issued = ca.cert("storage", "issued").toString();
        Openssl.Result bystander = Openssl.ok("verify", "-crl_check_all", "-CRLfile", ca.crl().toString(), "-CAfile",
                ca.roots().toString(), "-untrusted", ca.chain("storage", "issued").toString(), issued);
        assertEquals(issued + ": OK", bystander.output().strip(), bystander::describe);
    }

    @Test
    void opensslDecryptsPassphraseProtectedCaKeys() throws Exception {
        Path passphrase = Files.writeString(tmp.resolve("passphrase"), "correct horse battery staple\n");
        TestCa ca = TestCa.init(tmp.resolve("encrypted"), "--intermediate", "--passphrase-file", passphrase.toString());
        for (String issuer : List.of("root", "intermediate")) {
            String key = ca.caFile(issuer + "-key.pem").toString();
            Openssl.ok("pkey", "-in", key, "-passin", "file:" + passphrase, "-noout");
            assertEquals(Openssl.ok("x509", "-in", ca.caFile(issuer + "-cert.pem").toString(), "-noout", "-pubkey").output(),
                    Openssl.ok("pkey", "-in", key, "-passin", "file:" + passphrase, "-pubout").output());
            Openssl.Result wrong = Openssl.run("pkey", "-in", key, "-passin", "pass:hunter2", "-noout");
            assertNotEquals(0, wrong.exitCode(), wrong::describe);
        }
    }

    static List<Arguments> opensslRequests() {
        return List.of(
                Arguments.of("an EC P-256 request made by openssl",
                        List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"), "ec-p256"),
                Arguments.of("an Ed25519 request made by openssl", List.of("-newkey", "ed25519"), "ed25519"),
                Arguments.of("an RSA-3072 request made by openssl", List.of("-newkey", "rsa:3072"), "rsa-3072"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("opensslRequests")
    void aRequestMadeByOpensslIsSignedAndVerifies(String description, List<String> keyOptions, String keyType) {
        TestCa ca = cas.get(Shape.EC_P256_INTERMEDIATE);
        String name = "openssl-" + keyType;
        Path key = tmp.resolve(name + ".key");
        Path request = tmp.resolve(name + ".csr");
        List<String> args = new ArrayList<>(List.of("req", "-new"));
        args.addAll(keyOptions);
        args.addAll(List.of("-nodes", "-keyout", key.toString(), "-out", request.toString(), "-subj",
                "/O=cell-1.gitward/OU=storage/CN=" + name, "-addext",
                "subjectAltName=URI:spiffe://cell-1.gitward/storage/" + name));
        Openssl.ok(args.toArray(new String[0]));

        String signedKeyType = ca.ok("sign", "--role", "storage", "--name", name, "--csr", request.toString(), "--json")
                .json().get("key_type").asText();
        assertEquals(keyType, signedKeyType);
        Path cert = ca.cert("storage", name);
        Openssl.Result verify = Openssl.ok("verify", "-CAfile", ca.roots().toString(), "-untrusted",
                ca.chain("storage", name).toString(), cert.toString());
        assertEquals(cert + ": OK", verify.output().strip(), verify::describe);
        assertSameKey(cert, key);
    }

    /**
     * openssl reads the key file, its public half is the one in the certificate, and the file is byte for byte
     * what openssl itself writes for that key (for EC keys: with the public point, which GnuTLS — the TLS library
     * of Debian's git and curl — requires).
     */
    private static void assertSameKey(Path certificate, Path key) {
        assertEquals(Openssl.ok("x509", "-in", certificate.toString(), "-noout", "-pubkey").output(),
                Openssl.ok("pkey", "-in", key.toString(), "-pubout").output(), key + " holds the key of " + certificate);
        try {
            assertEquals(Openssl.ok("pkey", "-in", key.toString()).output(), java.nio.file.Files.readString(key),
                    key + " is encoded as openssl encodes it");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
