package io.gitward.tests.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.gitward.pki.cli.Openssl;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A CA run by a tool other than Gitward: the {@code openssl} CLI, or Debian's {@code cfssl} 1.2 ({@code golang-cfssl}).
 * It issues node certificates in the identity format and signs a CRL, so nodes can run on them unchanged. Debian's
 * cfssl writes every {@code hosts} entry as a DNS or IP SAN (never a URI SAN), so its certificates carry the identity
 * in the subject ({@code O=td, OU=role, CN=name}) and nodes read them with {@code identity-mode = subject-only}.
 */
public final class ExternalIssuer {
    /** The issued files: key (0600), chain (leaf then issuer). */
    public record Leaf(Path key, Path chain) {
        /** The leaf certificate alone. */
        public Path certificate() {
            return chain.resolveSibling("cert.pem");
        }
    }

    private final String tool;
    private final Path dir;
    private final String trustDomain;

    private ExternalIssuer(String tool, Path dir, String trustDomain) {
        this.tool = tool;
        this.dir = dir;
        this.trustDomain = trustDomain;
    }

    public static ExternalIssuer openssl(Path dir, String trustDomain) throws Exception {
        Files.createDirectories(dir);
        Openssl.ok("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", dir.resolve("ca-key.pem")
                .toString());
        Openssl.ok("req", "-x509", "-new", "-key", dir.resolve("ca-key.pem").toString(), "-subj", "/O=" + trustDomain
                + "/CN=openssl test CA", "-days", "2", "-sha256", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-addext", "subjectKeyIdentifier=hash",
                "-out", dir.resolve("ca.pem").toString());
        Files.writeString(dir.resolve("index.txt"), "");
        Files.writeString(dir.resolve("crlnumber"), "01\n");
        Files.writeString(dir.resolve("ca.cnf"), String.join("\n", "[ca]", "default_ca = test", "[test]",
                "database = " + dir.resolve("index.txt"), "crlnumber = " + dir.resolve("crlnumber"), "default_md = sha256",
                "default_crl_days = 1", ""));
        Openssl.ok("ca", "-gencrl", "-config", dir.resolve("ca.cnf").toString(), "-keyfile", dir.resolve("ca-key.pem")
                .toString(), "-cert", dir.resolve("ca.pem").toString(), "-out", dir.resolve("crl.pem").toString());
        return new ExternalIssuer("openssl", dir, trustDomain);
    }

    public static ExternalIssuer cfssl(Path dir, String trustDomain) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("ca-csr.json"), "{\"CN\": \"cfssl test CA\", \"key\": {\"algo\": \"ecdsa\", \"size\": 256},"
                + " \"names\": [{\"O\": \"" + trustDomain + "\"}]}");
        Files.writeString(dir.resolve("config.json"), "{\"signing\": {\"default\": {\"expiry\": \"24h\"}, \"profiles\": {"
                + "\"node\": {\"expiry\": \"24h\", \"usages\": [\"digital signature\", \"server auth\", \"client auth\"]}}}}");
        cfsslToFiles(dir, "ca", "gencert", "-initca", "ca-csr.json");
        Files.writeString(dir.resolve("serials.txt"), "");
        writeCfsslCrl(dir);
        return new ExternalIssuer("cfssl", dir, trustDomain);
    }

    /** {@code cfssl gencrl} over serials.txt (decimal serials, one a line), as PEM, renamed over crl.pem. */
    private static void writeCfsslCrl(Path dir) throws Exception {
        String crl = run(dir, "cfssl", "gencrl", "serials.txt", "ca.pem", "ca-key.pem").trim();
        StringBuilder pem = new StringBuilder("-----BEGIN X509 CRL-----\n");
        for (int i = 0; i < crl.length(); i += 64) {
            pem.append(crl, i, Math.min(crl.length(), i + 64)).append('\n');
        }
        Path next = Files.writeString(dir.resolve("crl.pem.next"), pem.append("-----END X509 CRL-----\n"));
        Files.move(next, dir.resolve("crl.pem"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Revokes {@code leaf} the tool's own way and publishes a new CRL by rename: {@code openssl ca -revoke} then
     * {@code openssl ca -gencrl} (CRL number from the crlnumber file), or cfssl's serial list and {@code cfssl gencrl}.
     */
    public void revoke(Leaf leaf) throws Exception {
        if (tool.equals("openssl")) {
            Openssl.ok("ca", "-config", dir.resolve("ca.cnf").toString(), "-revoke", leaf.certificate().toString(),
                    "-crl_reason", "keyCompromise", "-keyfile", dir.resolve("ca-key.pem").toString(), "-cert",
                    roots().toString());
            Path next = dir.resolve("crl.pem.next");
            Openssl.ok("ca", "-gencrl", "-config", dir.resolve("ca.cnf").toString(), "-keyfile",
                    dir.resolve("ca-key.pem").toString(), "-cert", roots().toString(), "-out", next.toString());
            Files.move(next, crl(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } else {
            java.math.BigInteger serial = io.gitward.security.x509.Pem.readCertificates(leaf.certificate()).get(0)
                    .getSerialNumber();
            Files.writeString(dir.resolve("serials.txt"), serial + "\n", java.nio.file.StandardOpenOption.APPEND);
            writeCfsslCrl(dir);
        }
    }

    public String tool() {
        return tool;
    }

    public Path roots() {
        return dir.resolve("ca.pem");
    }

    public Path crl() {
        return dir.resolve("crl.pem");
    }

    /** Whether nodes must read identities from the subject (cfssl 1.2 cannot write URI SANs). */
    public boolean subjectOnly() {
        return tool.equals("cfssl");
    }

    /**
     * A node certificate for {@code role}/{@code name}. openssl: URI SAN + subject, or with {@code emptySubject} a
     * SPIFFE X.509-SVID (no subject, critical SAN); cfssl: subject + DNS/IP SANs.
     */
    public Leaf issue(String role, String name, boolean emptySubject) throws Exception {
        Path leafDir = Files.createDirectories(dir.resolve(role + "-" + name));
        Path key = leafDir.resolve("key.pem");
        Path cert = leafDir.resolve("cert.pem");
        if (tool.equals("openssl")) {
            Openssl.ok("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.toString());
            Path csr = leafDir.resolve("leaf.csr");
            String subject = emptySubject ? "/" : "/O=" + trustDomain + "/OU=" + role + "/CN=" + name;
            Openssl.ok("req", "-new", "-key", key.toString(), "-subj", subject, "-out", csr.toString());
            Files.writeString(leafDir.resolve("ext.cnf"), String.join("\n", "[v3]", "basicConstraints = critical, CA:FALSE",
                    "keyUsage = critical, digitalSignature", "extendedKeyUsage = serverAuth, clientAuth",
                    "subjectAltName = " + (emptySubject ? "critical, " : "") + "URI:spiffe://" + trustDomain + "/" + role
                            + "/" + name + ", DNS:localhost, IP:127.0.0.1",
                    "subjectKeyIdentifier = hash", "authorityKeyIdentifier = keyid", ""));
            Openssl.ok("x509", "-req", "-in", csr.toString(), "-CA", roots().toString(), "-CAkey",
                    dir.resolve("ca-key.pem").toString(), "-set_serial", "0x" + Long.toHexString(System.nanoTime()),
                    "-days", "1", "-sha256", "-extfile", leafDir.resolve("ext.cnf").toString(), "-extensions", "v3",
                    "-out", cert.toString());
        } else {
            Files.writeString(leafDir.resolve("csr.json"), "{\"CN\": \"" + name + "\", \"hosts\": [\"127.0.0.1\", \"localhost\"],"
                    + " \"key\": {\"algo\": \"ecdsa\", \"size\": 256}, \"names\": [{\"O\": \"" + trustDomain + "\", \"OU\": \""
                    + role + "\"}]}");
            cfsslToFiles(leafDir, "leaf", "gencert", "-ca", roots().toString(), "-ca-key", dir.resolve("ca-key.pem").toString(),
                    "-config", dir.resolve("config.json").toString(), "-profile", "node", "csr.json");
            Files.move(leafDir.resolve("leaf-key.pem"), key);
            Files.move(leafDir.resolve("leaf.pem"), cert);
        }
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Path chain = leafDir.resolve("chain.pem");
        Files.writeString(chain, Files.readString(cert) + Files.readString(roots()));
        return new Leaf(key, chain);
    }

    /** {@code cfssl ARGS | cfssljson -bare PREFIX} in {@code dir}. */
    private static void cfsslToFiles(Path dir, String prefix, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("cfssl"));
        command.addAll(List.of(args));
        String json = run(dir, command.toArray(new String[0]));
        Path out = dir.resolve(prefix + ".json");
        Files.writeString(out, json);
        Process process = new ProcessBuilder("cfssljson", "-bare", prefix).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(out.toFile())).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, waitFor(process), "cfssljson: " + output);
    }

    private static String run(Path dir, String... command) throws Exception {
        Process process;
        try {
            process = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("cfssl.log").toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (IOException e) {
            return fail("this test needs Debian's cfssl on PATH (apt-get install golang-cfssl): " + e.getMessage());
        }
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, waitFor(process), () -> String.join(" ", command) + " failed; see " + dir.resolve("cfssl.log"));
        return out;
    }

    private static int waitFor(Process process) throws InterruptedException {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return fail("no exit within 60 s: " + process.info().commandLine().orElse("?"));
        }
        return process.exitValue();
    }
}
