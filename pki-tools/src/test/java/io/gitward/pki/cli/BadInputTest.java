package io.gitward.pki.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.x509.Certificates;
import io.gitward.security.x509.Pem;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every refused input: exit 1 (2 for a usage error picocli reports), one line on stderr naming the problem, nothing
 * on stdout, and the test directory exactly as it was: no path added or removed, no file changed (ca/index.json and
 * ca/crl.pem included).
 */
class BadInputTest {
    private static final String NAME_GRAMMAR = "(expected: 1 to 63 of [a-z0-9-])";
    private static final String TTL_GRAMMAR = "(expected: a positive duration such as 90s, 30m, 24h, 30d, 10y)";
    private static final String PASSPHRASE = "correct horse battery staple";

    @TempDir
    Path tmp;

    /** Builds the situation in the test's directory and returns the command line; the snapshot is taken afterwards. */
    @FunctionalInterface
    interface Setup {
        List<String> prepare(Path tmp) throws Exception;
    }

    static Stream<Arguments> refusals() {
        return Stream.of(
                // identity
                refusal("an unknown role", "--role: 'wizard' is not a role (expected one of: client, proxy, storage, "
                        + "coordinator, admin, auditor, edge)",
                    tmp -> ca(tmp).command("issue", "--role", "wizard", "--name", "wizard-1")),
                refusal("an empty name", "--name: '' " + NAME_GRAMMAR,
                    tmp -> ca(tmp).command("issue", "--role", "storage", "--name", "")),
                refusal("an upper-case name", "--name: 'Storage' " + NAME_GRAMMAR,
                    tmp -> ca(tmp).command("issue", "--role", "storage", "--name", "Storage")),
                refusal("an underscore in the name", "--name: 'a_b' " + NAME_GRAMMAR,
                    tmp -> ca(tmp).command("issue", "--role", "storage", "--name", "a_b")),
                refusal("a dot in the name", "--name: 'a.b' " + NAME_GRAMMAR,
                    tmp -> ca(tmp).command("issue", "--role", "storage", "--name", "a.b")),
                refusal("a 64-character name", "--name: '" + "n".repeat(64) + "' " + NAME_GRAMMAR,
                    tmp -> ca(tmp).command("issue", "--role", "storage", "--name", "n".repeat(64))),
                refusal("a path as the name", "--name: '../x' " + NAME_GRAMMAR,
                    tmp -> ca(tmp).command("issue", "--role", "storage", "--name", "../x")),
                refusal("an illegal name given to sign", "--name: 'a_b' " + NAME_GRAMMAR,
                    tmp -> ca(tmp).command("sign", "--role", "storage", "--name", "a_b", "--csr", csr(tmp, "storage", "a"))),
                refusal("an illegal name given to revoke", "--name: 'a.b' " + NAME_GRAMMAR,
                    tmp -> ca(tmp).command("revoke", "--role", "storage", "--name", "a.b")),
                // lifetimes
                refusal("a ttl of 0s", "--ttl: '0s' " + TTL_GRAMMAR,
                    tmp -> ca(tmp).command("issue", "--role", "storage", "--name", "s2", "--ttl", "0s")),
                refusal("a negative ttl", "--ttl: '-5m' " + TTL_GRAMMAR,
                    tmp -> ca(tmp).command("issue", "--role", "storage", "--name", "s2", "--ttl", "-5m")),
                refusal("a ttl that is not a duration", "--ttl: 'abc' " + TTL_GRAMMAR,
                    tmp -> ca(tmp).command("issue", "--role", "storage", "--name", "s2", "--ttl", "abc")),
                refusal("a ttl that outlives the issuing CA", "after the issuing CA expires",
                    tmp -> shortLivedCa(tmp).command("issue", "--role", "storage", "--name", "s2", "--ttl", "60d")),
                refusal("a ttl that outlives the issuing CA, when signing", "after the issuing CA expires",
                    tmp -> shortLivedCa(tmp).command("sign", "--role", "storage", "--name", "s2", "--ttl", "60d", "--csr",
                            csr(tmp, "storage", "s2"))),
                refusal("a ttl that outlives the issuing CA, when renewing", "after the issuing CA expires",
                    tmp -> shortLivedCa(tmp).command("renew", "--role", "storage", "--name", "storage-1", "--ttl", "60d")),
                refusal("a crl next-update of 0s", "--next-update: '0s' " + TTL_GRAMMAR,
                    tmp -> ca(tmp).command("crl", "--next-update", "0s")),
                // the CA directory
                refusal("a CA directory that does not exist", ": no such directory (create a CA with: gitward pki init",
                    tmp -> List.of("issue", "--dir", tmp.resolve("missing").toString(), "--role", "storage", "--name", "a")),
                refusal("an empty directory as the CA", ": not a Gitward CA (no ca/ca.json)",
                    tmp -> List.of("issue", "--dir", Files.createDirectory(tmp.resolve("empty")).toString(), "--role",
                            "storage", "--name", "a")),
                refusal("a directory of random files as the CA", ": not a Gitward CA (no ca/ca.json)", tmp -> {
                    Path random = Files.createDirectories(tmp.resolve("random/ca"));
                    Files.writeString(random.resolve("notes.txt"), "not a CA\n");
                    Files.write(random.resolveSibling("blob"), new byte[] {0, 1, 2, (byte) 0xff});
                    return List.of("issue", "--dir", random.getParent().toString(), "--role", "storage", "--name", "a");
                }),
                refusal("a CA without ca/root-cert.pem", "root-cert.pem: no such file", tmp -> {
                    TestCa ca = ca(tmp);
                    Files.delete(ca.caFile("root-cert.pem"));
                    return ca.command("issue", "--role", "storage", "--name", "s2");
                }),
                refusal("a CA without ca/index.json, when issuing", "index.json: cannot be read", tmp -> {
                    TestCa ca = ca(tmp);
                    Files.delete(ca.index());
                    return ca.command("issue", "--role", "storage", "--name", "s2");
                }),
                refusal("a CA without ca/index.json, when renewing", "index.json: cannot be read", tmp -> {
                    TestCa ca = ca(tmp);
                    Files.delete(ca.index());
                    return ca.command("renew", "--role", "storage", "--name", "storage-1");
                }),
                refusal("a CA without ca/index.json, when signing", "index.json: cannot be read", tmp -> {
                    TestCa ca = ca(tmp);
                    Files.delete(ca.index());
                    return ca.command("sign", "--role", "storage", "--name", "s2", "--csr", csr(tmp, "storage", "s2"));
                }),
                refusal("a CA without ca/index.json, when revoking", "index.json: cannot be read", tmp -> {
                    TestCa ca = ca(tmp);
                    Files.delete(ca.index());
                    return ca.command("revoke", "--role", "storage", "--name", "storage-1");
                }),
                refusal("a CA key readable by others", "is accessible by group or others (mode 0644); run: chmod 600 ",
                    tmp -> {
                        TestCa ca = ca(tmp);
                        Files.setPosixFilePermissions(ca.caFile("root-key.pem"), PosixFilePermissions.fromString("rw-r--r--"));
                        return ca.command("issue", "--role", "storage", "--name", "s2");
                    }),
                refusal("a CA key readable by its group, when re-signing the CRL", "(mode 0640); run: chmod 600 ", tmp -> {
                    TestCa ca = ca(tmp);
                    Files.setPosixFilePermissions(ca.caFile("root-key.pem"), PosixFilePermissions.fromString("rw-r-----"));
                    return ca.command("crl");
                }),
                // passphrases
                refusal("the wrong passphrase", "wrong passphrase, or the key is damaged",
                    tmp -> encryptedCa(tmp).command("issue", "--role", "storage", "--name", "s2", "--passphrase-file",
                            file(tmp, "wrong-passphrase", "hunter2\n"))),
                refusal("the wrong passphrase, when revoking", "wrong passphrase, or the key is damaged",
                    tmp -> encryptedCa(tmp).command("revoke", "--role", "storage", "--name", "storage-1", "--passphrase-file",
                            file(tmp, "wrong-passphrase", "hunter2\n"))),
                refusal("no passphrase for an encrypted CA", "the CA key is passphrase-protected; pass --passphrase-file FILE",
                    tmp -> encryptedCa(tmp).command("issue", "--role", "storage", "--name", "s2")),
                refusal("an empty passphrase file", "the passphrase is empty (expected: a non-empty first line)",
                    tmp -> encryptedCa(tmp).command("issue", "--role", "storage", "--name", "s2", "--passphrase-file",
                            file(tmp, "empty-passphrase", ""))),
                refusal("a passphrase file that does not exist", ": cannot be read (NoSuchFileException)",
                    tmp -> encryptedCa(tmp).command("crl", "--passphrase-file", tmp.resolve("missing").toString())),
                refusal("an empty passphrase file given to init", "the passphrase is empty",
                    tmp -> List.of("init", "--dir", tmp.resolve("pki").toString(), "--trust-domain", TestCa.TRUST_DOMAIN,
                            "--passphrase-file", file(tmp, "empty-passphrase", "\n"))),
                // certificate requests
                refusal("a request whose RSA key has 1024 bits", ": weak RSA-1024 key", tmp -> {
                    TestCa ca = ca(tmp);
                    Path request = tmp.resolve("weak.csr");
                    Openssl.ok("req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", tmp.resolve("weak.key").toString(),
                            "-out", request.toString(), "-subj", "/O=cell-1.gitward/OU=storage/CN=weak");
                    return ca.command("sign", "--role", "storage", "--name", "weak", "--csr", request.toString());
                }),
                refusal("a request whose signature is damaged", ": signature does not verify with the request's own key",
                    tmp -> {
                        TestCa ca = ca(tmp);
                        Path request = Path.of(csr(tmp, "storage", "s2"));
                        Path damaged = tmp.resolve("damaged.csr");
                        Files.writeString(damaged, flipLastByte(Files.readString(request, StandardCharsets.US_ASCII)));
                        Openssl.ok("req", "-in", damaged.toString(), "-noout");
                        return ca.command("sign", "--role", "storage", "--name", "s2", "--csr", damaged.toString());
                    }),
                refusal("a request made for another identity", "but --role/--name give spiffe://cell-1.gitward/storage/b",
                    tmp -> ca(tmp).command("sign", "--role", "storage", "--name", "b", "--csr", csr(tmp, "storage", "a"))),
                refusal("a request whose SPIFFE ID names another role",
                    "asks for spiffe://cell-1.gitward/admin/b but --role/--name give spiffe://cell-1.gitward/storage/b", tmp -> {
                        TestCa ca = ca(tmp);
                        Path request = tmp.resolve("admin.csr");
                        Openssl.ok("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                                tmp.resolve("admin.key").toString(), "-out", request.toString(), "-subj",
                                "/O=cell-1.gitward/OU=storage/CN=b", "-addext",
                                "subjectAltName=URI:spiffe://cell-1.gitward/admin/b");
                        return ca.command("sign", "--role", "storage", "--name", "b", "--csr", request.toString());
                    }),
                refusal("a request for a node whose issued key differs", "holds a key issued earlier that does not match",
                    tmp -> ca(tmp).command("sign", "--role", "storage", "--name", "storage-1", "--csr",
                            csr(tmp, "storage", "storage-1"))),
                refusal("a --csr file that holds no request", "holds no PEM certificate request", tmp -> {
                    TestCa ca = ca(tmp);
                    return ca.command("sign", "--role", "storage", "--name", "storage-1", "--csr",
                            ca.cert("storage", "storage-1").toString());
                }),
                // revocation
                refusal("a serial this CA never issued", "--serial 0123abcd: not issued by this CA",
                    tmp -> ca(tmp).command("revoke", "--serial", "0123abcd")),
                refusal("a serial that is not hex", "--serial: '12:zz' (expected: hexadecimal",
                    tmp -> ca(tmp).command("revoke", "--serial", "12:zz")),
                refusal("revoking the root", "is the root; a root is retired by removing it from roots.pem", tmp -> {
                    TestCa ca = ca(tmp);
                    return ca.command("revoke", "--serial", Certificates.serialHex(ca.rootCertificate()));
                }),
                refusal("revoking an identity without a certificate", "storage/nobody has no valid certificate",
                    tmp -> ca(tmp).command("revoke", "--role", "storage", "--name", "nobody")),
                refusal("an unknown revocation reason", "--reason: 'bogus' (expected one of: unspecified, key-compromise,",
                    tmp -> ca(tmp).command("revoke", "--role", "storage", "--name", "storage-1", "--reason", "bogus")),
                // state of an identity
                refusal("issuing for an identity that already has a certificate",
                    "storage/storage-1 already has a certificate (", tmp -> ca(tmp).command("issue", "--role", "storage",
                            "--name", "storage-1")),
                refusal("renewing an identity without a certificate", "storage/storage-9 has no certificate to renew (",
                    tmp -> ca(tmp).command("renew", "--role", "storage", "--name", "storage-9")),
                // init
                refusal("init into an existing CA", ": already a Gitward CA (",
                    tmp -> List.of("init", "--dir", ca(tmp).dir().toString(), "--trust-domain", TestCa.TRUST_DOMAIN)),
                refusal("init where ca/ exists without ca.json", "exists but holds no ca.json", tmp -> {
                    Files.createDirectories(tmp.resolve("pki/ca"));
                    return List.of("init", "--dir", tmp.resolve("pki").toString(), "--trust-domain", TestCa.TRUST_DOMAIN);
                }),
                refusal("an unknown key type for init", "key type: 'dsa' (expected one of: ec-p256, ed25519, rsa-3072)",
                    tmp -> List.of("init", "--dir", tmp.resolve("pki").toString(), "--trust-domain", TestCa.TRUST_DOMAIN,
                            "--key-type", "dsa")),
                refusal("an unknown key type for issue", "key type: 'rsa-1024' (expected one of: ec-p256, ed25519, rsa-3072)",
                    tmp -> ca(tmp).command("issue", "--role", "storage", "--name", "s2", "--key-type", "rsa-1024")),
                refusal("an upper-case trust domain", "--trust-domain: trust domain: 'Upper.Case' (expected: lower-case",
                    tmp -> List.of("init", "--dir", tmp.resolve("pki").toString(), "--trust-domain", "Upper.Case")),
                refusal("a port in the trust domain", "--trust-domain: trust domain: 'td:443' (expected: lower-case",
                    tmp -> List.of("init", "--dir", tmp.resolve("pki").toString(), "--trust-domain", "td:443")),
                refusal("a CA ttl of 0s", "--ttl: '0s' " + TTL_GRAMMAR,
                    tmp -> List.of("init", "--dir", tmp.resolve("pki").toString(), "--trust-domain", TestCa.TRUST_DOMAIN,
                            "--ttl", "0s")),
                refusal("a CRL validity that is not a duration", "--crl-validity: 'abc' " + TTL_GRAMMAR,
                    tmp -> List.of("init", "--dir", tmp.resolve("pki").toString(), "--trust-domain", TestCa.TRUST_DOMAIN,
                            "--crl-validity", "abc")),
                // subject alternative names
                refusal("an --ip that is not an address", "--ip: 'foo' is not an IP address",
                    tmp -> ca(tmp).command("issue", "--role", "storage", "--name", "s2", "--ip", "foo")),
                refusal("a short-form IPv4 --ip", "--ip: '1.2.3' is not an IP address",
                    tmp -> ca(tmp).command("issue", "--role", "storage", "--name", "s2", "--ip", "1.2.3")),
                refusal("an --ip with a prefix length", "--ip: '10.0.0.0/8' is not an IP address",
                    tmp -> ca(tmp).command("issue", "--role", "storage", "--name", "s2", "--ip", "10.0.0.0/8")),
                refusal("a --dns that is not a host name", "--dns: 'bad_name' is not a DNS name",
                    tmp -> ca(tmp).command("issue", "--role", "storage", "--name", "s2", "--dns", "bad_name")),
                // csr
                refusal("csr with an upper-case trust domain", "--trust-domain: trust domain: 'Upper.Case'",
                    tmp -> csrCommand(tmp, "--trust-domain", "Upper.Case", "--role", "storage", "--name", "a")),
                refusal("csr with an unknown role", "--role: 'wizard' is not a role",
                    tmp -> csrCommand(tmp, "--trust-domain", TestCa.TRUST_DOMAIN, "--role", "wizard", "--name", "a")),
                refusal("csr with a short-form IPv4 --ip", "--ip: '1.2.3' is not an IP address",
                    tmp -> csrCommand(tmp, "--trust-domain", TestCa.TRUST_DOMAIN, "--role", "storage", "--name", "a", "--ip",
                            "1.2.3")),
                refusal("csr over an existing key without --force", "exists; pass --force to replace it", tmp -> {
                    Files.createDirectories(tmp.resolve("node"));
                    Files.writeString(tmp.resolve("node/key.pem"), "an existing key\n");
                    return csrCommand(tmp, "--trust-domain", TestCa.TRUST_DOMAIN, "--role", "storage", "--name", "a");
                }),
                refusal("csr with --out in a directory that does not exist", "missing/req.pem",
                    tmp -> List.of("csr", "--key-out", tmp.resolve("node/key.pem").toString(), "--out",
                            tmp.resolve("missing/req.pem").toString(), "--trust-domain", TestCa.TRUST_DOMAIN, "--role", "storage",
                            "--name", "a")),
                // bootstrap
                refusal("bootstrap with a leaf ttl beyond the CA it creates", "--ttl 2d",
                    tmp -> List.of("bootstrap", "--dir", tmp.resolve("pki").toString(), "--trust-domain", TestCa.TRUST_DOMAIN,
                            "--node", "storage:storage-1", "--ca-ttl", "1d", "--ttl", "2d")),
                refusal("bootstrap with a node that is not ROLE:NAME", "--node: 'storage' (expected ROLE:NAME",
                    tmp -> List.of("bootstrap", "--dir", tmp.resolve("pki").toString(), "--trust-domain", TestCa.TRUST_DOMAIN,
                            "--node", "storage")),
                refusal("bootstrap with an unknown role", "--role: 'wizard' is not a role",
                    tmp -> List.of("bootstrap", "--dir", tmp.resolve("pki").toString(), "--trust-domain", TestCa.TRUST_DOMAIN,
                            "--node", "storage:storage-1", "--node", "wizard:merlin")),
                refusal("bootstrap into the CA of another trust domain",
                    "holds a CA for trust domain 'cell-1.gitward', not 'cell-2.gitward'",
                    tmp -> List.of("bootstrap", "--dir", ca(tmp).dir().toString(), "--trust-domain", "cell-2.gitward",
                            "--node", "storage:storage-2")),
                // verify and inspect
                refusal("verify a file that holds no certificate", "holds no PEM certificate",
                    tmp -> List.of("verify", "--dir", ca(tmp).dir().toString(), ca(tmp).index().toString())),
                refusal("verify against a --dir that is not a CA", "not a Gitward CA",
                    tmp -> List.of("verify", "--dir", Files.createDirectory(tmp.resolve("empty")).toString(),
                            ca(tmp).cert("storage", "storage-1").toString())),
                refusal("verify with an unknown role", "--role: 'wizard' is not a role",
                    tmp -> ca(tmp).command("verify", "--role", "wizard", ca(tmp).cert("storage", "storage-1").toString())),
                refusal("verify at an instant that is not ISO-8601", "--at: 'yesterday' (expected ISO-8601",
                    tmp -> ca(tmp).command("verify", "--at", "yesterday", ca(tmp).cert("storage", "storage-1").toString())),
                refusal("verify with an unknown purpose", "--purpose: 'both' (expected: node, client or server)",
                    tmp -> ca(tmp).command("verify", "--purpose", "both", ca(tmp).cert("storage", "storage-1").toString())),
                refusal("inspect a private key", "holds a private key; inspect never reads keys",
                    tmp -> List.of("inspect", ca(tmp).key("storage", "storage-1").toString())),
                refusal("inspect a file that does not exist", "missing.pem: cannot be read",
                    tmp -> List.of("inspect", tmp.resolve("missing.pem").toString())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refusedInputExitsOneWithOneLineNamingTheProblemAndWritesNothing(String description, String message, Setup setup)
            throws Exception {
        List<String> args = setup.prepare(tmp);
        DirectorySnapshot before = DirectorySnapshot.of(tmp);

        CliRunner.Result result = CliRunner.run(args);
        String context = description + ": " + result.describe();

        assertEquals(1, result.exitCode(), context);
        assertEquals(1, result.errLines().size(), () -> "exactly one line on stderr\n" + context);
        String line = result.errLines().get(0);
        assertTrue(line.startsWith("gitward pki " + args.get(0) + ": "), context);
        assertTrue(line.contains(message), () -> "expected '" + message + "' in\n" + context);
        assertEquals("", result.out(), context);
        DirectorySnapshot.of(tmp).assertUnchangedSince(before, context);
    }

    static Stream<Arguments> usageErrors() {
        return Stream.of(
                refusal("a missing required option", "Missing required option: '--role=ROLE'",
                    tmp -> ca(tmp).command("issue", "--name", "s2")),
                refusal("a missing --name beside --role in revoke", "Missing required argument(s): --name=NAME",
                    tmp -> ca(tmp).command("revoke", "--role", "storage")),
                refusal("both --serial and --role in revoke", "are mutually exclusive",
                    tmp -> ca(tmp).command("revoke", "--serial", "12", "--role", "storage", "--name", "storage-1")),
                refusal("an unknown option", "Unknown option: '--frobnicate'",
                    tmp -> ca(tmp).command("issue", "--role", "storage", "--name", "s2", "--frobnicate")),
                refusal("an unknown command", "Unmatched argument at index 0: 'frobnicate'",
                    tmp -> List.of("frobnicate")),
                refusal("no command at all", "missing subcommand", tmp -> List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("usageErrors")
    void usageErrorsExitTwoNamingTheProblemFirstAndWriteNothing(String description, String message, Setup setup)
            throws Exception {
        List<String> args = setup.prepare(tmp);
        DirectorySnapshot before = DirectorySnapshot.of(tmp);

        CliRunner.Result result = CliRunner.run(args);
        String context = description + ": " + result.describe();

        assertEquals(2, result.exitCode(), context);
        assertTrue(result.errLines().get(0).contains(message), () -> "expected '" + message + "' first in\n" + context);
        assertEquals("", result.out(), context);
        DirectorySnapshot.of(tmp).assertUnchangedSince(before, context);
    }

    private static Arguments refusal(String description, String message, Setup setup) {
        return Arguments.of(description, message, setup);
    }

    /** A CA at tmp/pki (made on first use) that has issued storage/storage-1, so every later change takes its lock. */
    private static TestCa ca(Path tmp) {
        TestCa ca = new TestCa(tmp.resolve("pki"));
        if (!Files.exists(ca.caFile("ca.json"))) {
            ca = TestCa.init(ca.dir());
            ca.issue("storage", "storage-1");
        }
        return ca;
    }

    /** A CA that expires in 30 days. */
    private static TestCa shortLivedCa(Path tmp) {
        TestCa ca = TestCa.init(tmp.resolve("pki"), "--ttl", "30d");
        ca.issue("storage", "storage-1", "--ttl", "1d");
        return ca;
    }

    /** A CA whose key is encrypted with {@link #PASSPHRASE}, in tmp/passphrase. */
    private static TestCa encryptedCa(Path tmp) throws Exception {
        String passphrase = file(tmp, "passphrase", PASSPHRASE + "\n");
        TestCa ca = TestCa.init(tmp.resolve("pki"), "--passphrase-file", passphrase);
        ca.ok("issue", "--role", "storage", "--name", "storage-1", "--passphrase-file", passphrase);
        return ca;
    }

    /** Makes a key and request for role/name with {@code pki csr} under tmp/csr-NAME and returns the request's path. */
    private static String csr(Path tmp, String role, String name) {
        Path dir = tmp.resolve("csr-" + name);
        CliRunner.ok("csr", "--key-out", dir.resolve("key.pem").toString(), "--out", dir.resolve("req.pem").toString(),
                "--role", role, "--name", name, "--trust-domain", TestCa.TRUST_DOMAIN);
        return dir.resolve("req.pem").toString();
    }

    private static List<String> csrCommand(Path tmp, String... args) {
        List<String> all = new ArrayList<>(List.of("csr", "--key-out", tmp.resolve("node/key.pem").toString(),
                "--out", tmp.resolve("node/req.pem").toString()));
        all.addAll(List.of(args));
        return all;
    }

    private static String file(Path tmp, String name, String content) throws Exception {
        return Files.writeString(tmp.resolve(name), content).toString();
    }

    /** Re-encodes a PEM request with the last byte of its DER (inside the signature) flipped. */
    private static String flipLastByte(String pem) throws Exception {
        String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        byte[] der = Base64.getDecoder().decode(base64);
        der[der.length - 1] ^= 0x01;
        String damaged = Pem.encode("CERTIFICATE REQUEST", der);
        assertTrue(damaged.startsWith("-----BEGIN CERTIFICATE REQUEST-----"));
        return damaged;
    }
}
