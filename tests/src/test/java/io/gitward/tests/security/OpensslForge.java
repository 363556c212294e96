package io.gitward.tests.security;

import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.cli.Openssl;
import io.gitward.pki.defects.Defect;
import io.gitward.pki.defects.DefectiveCertificates;
import io.gitward.security.x509.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * The same defective client certificates as {@link DefectiveCertificates}, made with the {@code openssl} CLI
 * ({@code openssl ca} signing with the real CA's key), so refusals are proven for certificates Gitward's
 * own code did not write. {@link Defect#REVOKED} is not made here: revoking needs the CA's own CRL.
 */
final class OpensslForge {
    private static final DateTimeFormatter OPENSSL_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final Path work;
    private final CertificateAuthority ca;
    private final String domain;
    private final String otherDomain;
    private int counter;

    OpensslForge(Path work, CertificateAuthority ca, String otherDomain) throws Exception {
        this.work = Files.createDirectories(work);
        this.ca = ca;
        this.domain = ca.trustDomain().name();
        this.otherDomain = otherDomain;
        Files.writeString(work.resolve("index.txt"), "");
        Files.writeString(work.resolve("ca.cnf"), String.join("\n",
                "[ca]",
                "default_ca = forge",
                "[forge]",
                "dir = " + work,
                "database = $dir/index.txt",
                "new_certs_dir = $dir",
                "rand_serial = yes",
                "default_md = sha256",
                "policy = anything",
                "unique_subject = no",
                "copy_extensions = none",
                "[anything]",
                "O = optional",
                "OU = optional",
                "CN = optional",
                ""));
    }

    /** Whether this forge can make {@code defect}. */
    static boolean supports(Defect defect) {
        return defect != Defect.REVOKED;
    }

    DefectiveCertificates.Forged forge(Defect defect, String name) throws Exception {
        Path dir = Files.createDirectories(work.resolve(defect.tableName() + "-" + (counter++)));
        Path key = dir.resolve("key.pem");
        String role = "client";
        String leafDomain = domain;
        String subject = null;
        List<String> extensions = new ArrayList<>(List.of("basicConstraints = critical, CA:FALSE",
                "keyUsage = critical, digitalSignature", "extendedKeyUsage = serverAuth, clientAuth",
                "subjectKeyIdentifier = hash", "authorityKeyIdentifier = keyid"));
        String san = null;
        Instant notBefore = Instant.now().minusSeconds(60);
        Instant notAfter = Instant.now().plusSeconds(86400);
        String digest = "sha256";
        Path issuerCert = ca.layout().rootCertificate();
        Path issuerKey = ca.layout().rootKey();
        List<Path> chainExtra = new ArrayList<>();
        boolean selfSigned = false;
        genkey(key, defect == Defect.RSA_1024 ? "RSA" : "EC");
        switch (defect) {
            case EXPIRED -> {
                notBefore = Instant.now().minusSeconds(2 * 86400);
                notAfter = Instant.now().minusSeconds(86400);
            }
            case NOT_YET_VALID -> {
                notBefore = Instant.now().plusSeconds(86400);
                notAfter = Instant.now().plusSeconds(2 * 86400);
            }
            case WRONG_CA -> {
                Path[] other = newCa(dir, "/O=" + domain + "/CN=Not The Gitward Root");
                issuerCert = other[0];
                issuerKey = other[1];
            }
            case SELF_SIGNED -> selfSigned = true;
            case LOOK_ALIKE_CA -> {
                Path[] other = newCa(dir, opensslSubject(ca.rootCertificate()));
                issuerCert = other[0];
                issuerKey = other[1];
                extensions.remove("authorityKeyIdentifier = keyid");
            }
            case UNKNOWN_ROLE -> role = "wizard";
            case NO_SPIFFE_SAN -> san = "DNS:localhost";
            case TWO_SPIFFE_SANS -> san = "URI:spiffe://" + domain + "/client/" + name + ", URI:spiffe://" + domain + "/admin/"
                    + name;
            case SAN_SUBJECT_MISMATCH -> subject = "/O=" + domain + "/OU=admin/CN=" + name;
            case MALFORMED_SPIFFE_PATH -> san = "URI:spiffe://" + domain + "/client/" + name + "/extra";
            case PERCENT_ENCODED_SPIFFE_ID -> san = "URI:spiffe://" + domain + "/client/" + name.charAt(0) + "%"
                    + String.format("%02x", (int) name.charAt(1)) + name.substring(2);
            case UPPERCASE_TRUST_DOMAIN -> leafDomain = domain.toUpperCase(java.util.Locale.ROOT);
            case MISSING_CLIENT_AUTH_EKU -> replace(extensions, "extendedKeyUsage", "extendedKeyUsage = serverAuth");
            case NO_EKU -> replace(extensions, "extendedKeyUsage", null);
            case CA_TRUE_LEAF -> {
                replace(extensions, "basicConstraints", "basicConstraints = critical, CA:TRUE");
                replace(extensions, "keyUsage", "keyUsage = critical, digitalSignature, keyCertSign");
            }
            case NO_DIGITAL_SIGNATURE -> replace(extensions, "keyUsage", "keyUsage = critical, keyAgreement");
            case NON_CA_INTERMEDIATE, PATH_LENGTH_VIOLATION, MISSING_INTERMEDIATE, EXPIRED_INTERMEDIATE -> {
                int count = defect == Defect.PATH_LENGTH_VIOLATION
                        ? Math.max(0, ca.rootCertificate().getBasicConstraints()) + 2 : 1;
                Path signerCert = issuerCert;
                Path signerKey = issuerKey;
                for (int i = 0; i < count; i++) {
                    Path intermediateKey = dir.resolve("intermediate-" + i + "-key.pem");
                    genkey(intermediateKey, "EC");
                    Path intermediateCert = dir.resolve("intermediate-" + i + ".pem");
                    boolean expired = defect == Defect.EXPIRED_INTERMEDIATE;
                    String intermediateExtensions = defect == Defect.NON_CA_INTERMEDIATE
                            ? "basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n"
                            : "basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n";
                    sign(dir, intermediateKey, "/O=" + domain + "/CN=Openssl Intermediate " + i + " " + counter,
                            intermediateExtensions + "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n",
                            signerCert, signerKey,
                                    expired ? Instant.now().minusSeconds(3 * 86400) : Instant.now().minusSeconds(120),
                            expired ? Instant.now().minusSeconds(86400) : Instant.now().plusSeconds(2 * 86400), "sha256", false,
                            intermediateCert);
                    chainExtra.add(0, intermediateCert);
                    signerCert = intermediateCert;
                    signerKey = intermediateKey;
                }
                issuerCert = signerCert;
                issuerKey = signerKey;
                if (defect == Defect.MISSING_INTERMEDIATE) {
                    chainExtra.clear();
                }
            }
            case RSA_1024 -> { }
            case SHA1_SIGNATURE -> digest = "sha1";
            case FOREIGN_TRUST_DOMAIN -> {
                leafDomain = "foreign.invalid";
                Path[] other = newCa(dir, "/O=foreign.invalid/CN=Foreign Root");
                issuerCert = other[0];
                issuerKey = other[1];
            }
            case CROSS_DOMAIN_BINDING -> leafDomain = otherDomain;
            case UNSUPPORTED_CRITICAL_EXTENSION -> extensions.add("1.3.6.1.4.1.55555.1.1 = critical, ASN1:BOOLEAN:TRUE");
            case MULTI_VALUED_RDN -> subject = "/O=" + domain + "/OU=client+CN=" + name;
            default -> throw new IllegalArgumentException("openssl cannot forge " + defect);
        }
        if (subject == null) {
            subject = "/O=" + leafDomain + "/OU=" + role + "/CN=" + name;
        }
        if (san == null) {
            san = "URI:spiffe://" + leafDomain + "/" + role + "/" + name;
        }
        extensions.add("subjectAltName = " + san);
        if (selfSigned) {
            extensions.remove("authorityKeyIdentifier = keyid");
        }
        Path cert = dir.resolve("cert.pem");
        sign(dir, key, subject, String.join("\n", extensions) + "\n", issuerCert, issuerKey, notBefore, notAfter, digest,
                selfSigned, cert);
        List<X509Certificate> chain = new ArrayList<>(Pem.readCertificatesRequired(cert));
        for (Path extra : chainExtra) {
            chain.addAll(Pem.readCertificatesRequired(extra));
        }
        return new DefectiveCertificates.Forged(defect, Pem.readPrivateKey(key, null), chain);
    }

    private void sign(Path dir, Path key, String subject, String extensions, Path issuerCert, Path issuerKey,
            Instant notBefore, Instant notAfter, String digest, boolean selfSigned, Path out) throws Exception {
        Path csr = Files.createTempFile(dir, "req", ".pem");
        Openssl.ok("req", "-new", "-key", key.toString(), "-subj", subject, "-out", csr.toString());
        Path ext = Files.createTempFile(dir, "ext", ".cnf");
        Files.writeString(ext, "[leaf]\n" + extensions);
        List<String> args = new ArrayList<>(List.of("ca", "-config", work.resolve("ca.cnf").toString(), "-batch", "-notext",
                "-preserveDN", "-in", csr.toString(), "-out", out.toString(), "-extfile", ext.toString(), "-extensions", "leaf",
                "-startdate", OPENSSL_TIME.format(notBefore), "-enddate", OPENSSL_TIME.format(notAfter), "-md", digest));
        if (selfSigned) {
            args.addAll(List.of("-selfsign", "-keyfile", key.toString()));
        } else {
            args.addAll(List.of("-cert", issuerCert.toString(), "-keyfile", issuerKey.toString()));
        }
        Openssl.ok(args.toArray(new String[0]));
    }

    /** A throwaway CA: [certificate, key]. */
    private Path[] newCa(Path dir, String subject) throws Exception {
        Path key = dir.resolve("other-ca-key.pem");
        Path cert = dir.resolve("other-ca.pem");
        genkey(key, "EC");
        Openssl.ok("req", "-x509", "-new", "-key", key.toString(), "-subj", subject, "-days", "30", "-out", cert.toString(),
                "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return new Path[] {cert, key};
    }

    private static void genkey(Path key, String type) {
        if (type.equals("RSA")) {
            Openssl.ok("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", key.toString());
        } else {
            Openssl.ok("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.toString());
        }
    }

    private static void replace(List<String> extensions, String name, String replacement) {
        extensions.removeIf(line -> line.startsWith(name + " "));
        if (replacement != null) {
            extensions.add(replacement);
        }
    }

    /** "/O=td/CN=Gitward Root CA X" for a certificate whose subject is O then CN. */
    private static String opensslSubject(X509Certificate certificate) {
        String[] rdns = certificate.getSubjectX500Principal().getName().split(",");
        StringBuilder subject = new StringBuilder();
        for (int i = rdns.length - 1; i >= 0; i--) {
            subject.append('/').append(rdns[i]);
        }
        return subject.toString();
    }
}
