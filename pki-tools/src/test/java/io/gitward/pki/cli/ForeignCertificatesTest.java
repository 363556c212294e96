package io.gitward.pki.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Certificates made by the {@code openssl} CLI (a foreign issuer): those that follow the identity format verify,
 * and for each way one does not, {@code pki verify} names the exact defect and what to change at the issuer.
 */
class ForeignCertificatesTest {
    private static final String ID = "spiffe://ext.gitward/storage/storage-1";
    private static final String GOOD_SUBJECT = "/O=ext.gitward/OU=storage/CN=storage-1";
    private static final List<String> GOOD = List.of("basicConstraints = critical, CA:FALSE",
            "keyUsage = critical, digitalSignature", "extendedKeyUsage = serverAuth, clientAuth",
            "subjectAltName = URI:" + ID + ", DNS:localhost, IP:127.0.0.1", "subjectKeyIdentifier = hash",
            "authorityKeyIdentifier = keyid");

    @TempDir
    Path tmp;

    private int counter;

    @BeforeEach
    void opensslCa() {
        Openssl.ok("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", ca("key").toString());
        Openssl.ok("req", "-x509", "-new", "-key", ca("key").toString(), "-subj", "/O=ext.gitward/CN=openssl CA",
                "-days", "2", "-sha256", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-addext", "subjectKeyIdentifier=hash",
                "-out", ca("pem").toString());
    }

    private Path ca(String extension) {
        return tmp.resolve("ca." + extension);
    }

    /**
     * A leaf signed by the openssl CA: key "ec" or "rsa-BITS", digest, subject ("/" = empty), extension lines. With
     * an empty subject the SAN is made critical, as RFC 5280 and the X.509-SVID specification require.
     */
    private Path leaf(String key, String digest, String subject, List<String> extensions) throws Exception {
        List<String> lines = new ArrayList<>();
        for (String line : extensions) {
            lines.add(subject.equals("/") ? line.replace("subjectAltName = ", "subjectAltName = critical, ") : line);
        }
        return leafAsIs(key, digest, subject, lines);
    }

    private Path leafAsIs(String key, String digest, String subject, List<String> extensions) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("leaf-" + (counter++)));
        Path keyFile = dir.resolve("key.pem");
        if (key.equals("ec")) {
            Openssl.ok("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keyFile.toString());
        } else {
            Openssl.ok("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:" + key.substring(4), "-out",
                    keyFile.toString());
        }
        Path csr = dir.resolve("leaf.csr");
        Openssl.ok("req", "-new", "-key", keyFile.toString(), "-subj", subject, "-out", csr.toString());
        Path ext = dir.resolve("ext.cnf");
        Files.writeString(ext, "[v3]\n" + String.join("\n", extensions) + "\n");
        Path cert = dir.resolve("cert.pem");
        Openssl.ok("x509", "-req", "-in", csr.toString(), "-CA", ca("pem").toString(), "-CAkey", ca("key").toString(),
                "-set_serial", "0x" + Long.toHexString(System.nanoTime()), "-days", "1", "-" + digest, "-extfile",
                ext.toString(), "-extensions", "v3", "-out", cert.toString());
        return cert;
    }

    private static List<String> replace(String prefix, String line) {
        List<String> result = new ArrayList<>();
        for (String existing : GOOD) {
            if (!existing.startsWith(prefix)) {
                result.add(existing);
            }
        }
        if (line != null) {
            result.add(line);
        }
        return result;
    }

    private CliRunner.Result verify(Path cert, String... options) {
        List<String> args = new ArrayList<>(List.of("verify", "--ca", ca("pem").toString()));
        args.addAll(List.of(options));
        args.add(cert.toString());
        return CliRunner.run(args);
    }

    @Test
    void opensslCertificatesInTheIdentityFormatQualifyWithOrWithoutASubject() throws Exception {
        CliRunner.Result withSubject = verify(leaf("ec", "sha256", GOOD_SUBJECT, GOOD), "--role", "storage").assertExit(0);
        assertTrue(withSubject.outLines().get(1).startsWith("valid: " + ID + " "), withSubject::describe);
        // A SPIFFE X.509-SVID: empty subject, the identity only in the URI SAN.
        CliRunner.Result svid = verify(leaf("ec", "sha256", "/", GOOD)).assertExit(0);
        assertTrue(svid.outLines().get(1).startsWith("valid: " + ID + " "), svid::describe);
        CliRunner.Result rsa = verify(leaf("rsa-2048", "sha384", "/", GOOD)).assertExit(0);
        assertTrue(rsa.outLines().get(1).startsWith("valid: " + ID + " "), rsa::describe);
    }

    @Test
    void anIssuerWithoutUriSansQualifiesInSubjectOnlyMode() throws Exception {
        Path cert = leaf("ec", "sha256", GOOD_SUBJECT, replace("subjectAltName", "subjectAltName = DNS:localhost"));
        CliRunner.Result uriMode = verify(cert).assertExit(1);
        assertTrue(uriMode.outLines().get(2).contains("security.trust.identity-mode = subject-only"), uriMode::describe);
        CliRunner.Result subjectOnly = verify(cert, "--subject-only", "--trust-domain", "ext.gitward").assertExit(0);
        assertTrue(subjectOnly.outLines().get(1).startsWith("valid: " + ID + " "), subjectOnly::describe);
    }

    @Test
    void anEmptySubjectWithANonCriticalSanIsRefusedAsUnparseable() throws Exception {
        CliRunner.Result result = verify(leafAsIs("ec", "sha256", "/", GOOD)).assertExit(1);
        assertEquals("", result.out(), result::describe);
        assertTrue(result.err().contains("certificate cannot be parsed")
                && result.err().contains("SubjectAlternativeName extension MUST be marked critical when subject field is"
                + " empty"), result::describe);
    }

    @FunctionalInterface
    interface Maker {
        Path make(ForeignCertificatesTest test) throws Exception;
    }

    static Stream<Arguments> defects() {
        return Stream.of(
                defect("no URI SAN at all", "no_spiffe_id", "certificate has no SPIFFE URI SAN", "add exactly one URI SAN",
                        t -> t.leaf("ec", "sha256", GOOD_SUBJECT, replace("subjectAltName", null))),
                defect("the SPIFFE ID written as a DNS SAN (what Debian's cfssl 1.2 does with 'hosts')", "no_spiffe_id",
                        "no SPIFFE URI SAN", "holds the SPIFFE ID as a DNS name",
                        t -> t.leaf("ec", "sha256", GOOD_SUBJECT, replace("subjectAltName",
                                "subjectAltName = DNS:" + ID + ", DNS:localhost"))),
                defect("two SPIFFE URI SANs", "multiple_spiffe_ids", "2 SPIFFE URI SANs", "exactly one",
                        t -> t.leaf("ec", "sha256", "/", replace("subjectAltName",
                                "subjectAltName = URI:" + ID + ", URI:spiffe://ext.gitward/proxy/proxy-1"))),
                defect("serverAuth only", "missing_eku", "extended key usage lacks clientAuth", "serverAuth and clientAuth",
                        t -> t.leaf("ec", "sha256", GOOD_SUBJECT, replace("extendedKeyUsage",
                                "extendedKeyUsage = serverAuth"))),
                defect("a CA:TRUE leaf", "leaf_is_ca", "leaf certificate is a CA", "CA:FALSE",
                        t -> t.leaf("ec", "sha256", GOOD_SUBJECT, replace("basicConstraints",
                                "basicConstraints = critical, CA:TRUE"))),
                defect("keyEncipherment instead of digitalSignature", "key_usage", "key usage lacks digitalSignature",
                        "digitalSignature", t -> t.leaf("ec", "sha256", GOOD_SUBJECT, replace("keyUsage",
                                "keyUsage = critical, keyEncipherment"))),
                defect("a SHA-1 signature", "weak_signature", "SHA1", "SHA-256 or stronger",
                        t -> t.leaf("ec", "sha1", GOOD_SUBJECT, GOOD)),
                defect("a 1024-bit RSA key", "weak_key", "1024", "at least 2048 bits",
                        t -> t.leaf("rsa-1024", "sha256", GOOD_SUBJECT, GOOD)),
                defect("an unknown role in the SPIFFE ID", "unknown_role", "operator", "role one of client",
                        t -> t.leaf("ec", "sha256", "/", replace("subjectAltName",
                                "subjectAltName = URI:spiffe://ext.gitward/operator/storage-1"))),
                defect("an extra path segment in the SPIFFE ID", "malformed_spiffe_id",
                        "'spiffe://ext.gitward/storage/storage-1/extra': expected exactly two path segments: /<role>/<name>",
                        "no port, query",
                        t -> t.leaf("ec", "sha256", "/", replace("subjectAltName",
                                "subjectAltName = URI:spiffe://ext.gitward/storage/storage-1/extra"))),
                defect("an upper-case trust domain", "invalid_trust_domain",
                        "trust domain: 'EXT.gitward' (expected: lower-case letters, digits, '.', '-', '_'; no port,"
                                + " user-info or upper case)", "trust domain lower-case",
                        t -> t.leaf("ec", "sha256", "/", replace("subjectAltName",
                                "subjectAltName = URI:spiffe://EXT.gitward/storage/storage-1"))),
                defect("a subject that names another node", "subject_mismatch", "does not agree with SPIFFE ID",
                        "O=<trust-domain>, OU=<role>, CN=<name>",
                        t -> t.leaf("ec", "sha256", "/O=ext.gitward/OU=storage/CN=storage-2", GOOD)));
    }

    private static Arguments defect(String description, String reason, String detail, String fix, Maker maker) {
        // An empty detail would match any message: every defect names what it found.
        if (detail.isBlank()) {
            throw new IllegalArgumentException(description + ": give the detail pki verify must print");
        }
        return Arguments.of(description, reason, detail, fix, maker);
    }

    @ParameterizedTest(name = "{0}: pki verify says {1} and how to fix it")
    @MethodSource("defects")
    void eachDefectIsExplained(String description, String reason, String detail, String fix, Maker maker)
            throws Exception {
        CliRunner.Result result = verify(maker.make(this), "--trust-domain", "ext.gitward").assertExit(1);
        List<String> lines = result.outLines();
        assertEquals(3, lines.size(), result::describe);
        assertEquals("note: no --crl given, revocation is not checked", lines.get(0), result::describe);
        assertTrue(lines.get(1).startsWith("invalid: " + reason + ": "), result::describe);
        assertTrue(lines.get(1).contains(detail), result::describe);
        assertTrue(lines.get(2).startsWith("fix: ") && lines.get(2).contains(fix), result::describe);
    }
}
