package io.gitward.pki.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Private keys are 0600 from the first byte and never written through a symlink; public files are 0644. */
class KeyFilePermissionsTest {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> WORLD_READABLE = PosixFilePermissions.fromString("rw-r--r--");
    private static final Set<String> PUBLIC_FILES = Set.of("cert.pem", "chain.pem", "roots.pem", "crl.pem", "root-cert.pem",
            "intermediate-cert.pem", "ca.json", "index.json");

    @TempDir
    Path tmp;

    @Test
    void everyKeyIsOwnerOnlyAndEveryCertificateBundleAndCrlIsWorldReadable() throws Exception {
        Path passphrase = Files.writeString(tmp.resolve("passphrase"), "correct horse battery staple\n");
        String pass = passphrase.toString();
        TestCa encrypted = TestCa.init(tmp.resolve("encrypted"), "--intermediate", "--passphrase-file", pass);
        encrypted.ok("issue", "--role", "storage", "--name", "storage-1", "--passphrase-file", pass);
        TestCa plain = TestCa.init(tmp.resolve("plain"));
        plain.issue("storage", "storage-1");
        plain.ok("renew", "--role", "storage", "--name", "storage-1");
        plain.issue("proxy", "proxy-1", "--key-type", "ed25519");
        Path node = tmp.resolve("node");
        CliRunner.ok("csr", "--key-out", node.resolve("key.pem").toString(), "--out", node.resolve("req.pem").toString(),
                "--role", "admin", "--name", "alice", "--trust-domain", TestCa.TRUST_DOMAIN);
        plain.ok("sign", "--role", "admin", "--name", "alice", "--csr", node.resolve("req.pem").toString());
        plain.ok("revoke", "--role", "proxy", "--name", "proxy-1");
        plain.ok("crl");
        CliRunner.ok("bootstrap", "--dir", tmp.resolve("bootstrapped").toString(), "--trust-domain", TestCa.TRUST_DOMAIN,
                "--node", "storage:storage-1", "--intermediate");

        List<Path> keys = new ArrayList<>();
        List<Path> publicFiles = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(tmp)) {
            for (Path file : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                String name = file.getFileName().toString();
                if (name.endsWith("key.pem")) {
                    keys.add(file);
                    assertEquals(OWNER_ONLY, Files.getPosixFilePermissions(file), file::toString);
                } else if (PUBLIC_FILES.contains(name)) {
                    publicFiles.add(file);
                    assertEquals(WORLD_READABLE, Files.getPosixFilePermissions(file), file::toString);
                }
            }
        }
        assertEquals(List.of(), keys.stream().filter(key -> !List.of("root-key.pem", "intermediate-key.pem", "key.pem")
                .contains(key.getFileName().toString())).toList());
        assertEquals(10, keys.size(), "3 root, 2 intermediate and 4 issued node keys, and the csr key: " + keys);
        assertTrue(publicFiles.size() >= 25, () -> "expected every certificate, bundle, CRL and JSON file: " + publicFiles);
        assertFalse(Files.exists(plain.key("admin", "alice")), "a CSR-signed node has no key in the CA");
    }

    @Test
    void csrWritesItsKeyOwnerOnlyAndTheRequestWorldReadable() throws Exception {
        Path key = tmp.resolve("etc/gitward/tls/key.pem");
        Path request = tmp.resolve("req.pem");
        CliRunner.ok("csr", "--key-out", key.toString(), "--out", request.toString(), "--role", "storage", "--name",
                "storage-1", "--trust-domain", TestCa.TRUST_DOMAIN);
        assertEquals(OWNER_ONLY, Files.getPosixFilePermissions(key));
        assertEquals(WORLD_READABLE, Files.getPosixFilePermissions(request));
    }

    @Test
    void csrWithForceReplacesASymlinkedKeyInsteadOfWritingThroughIt() throws Exception {
        Path victim = Files.writeString(tmp.resolve("victim.txt"), "must stay as it is\n");
        Files.setPosixFilePermissions(victim, WORLD_READABLE);
        Path link = Files.createSymbolicLink(tmp.resolve("key.pem"), victim);

        CliRunner.ok("csr", "--force", "--key-out", link.toString(), "--out", tmp.resolve("req.pem").toString(), "--role",
                "storage", "--name", "storage-1", "--trust-domain", TestCa.TRUST_DOMAIN);

        assertEquals("must stay as it is\n", Files.readString(victim));
        assertEquals(WORLD_READABLE, Files.getPosixFilePermissions(victim));
        assertFalse(Files.isSymbolicLink(link), "the link itself was replaced");
        assertEquals(OWNER_ONLY, Files.getPosixFilePermissions(link, LinkOption.NOFOLLOW_LINKS));
        assertTrue(Files.readString(link).startsWith("-----BEGIN PRIVATE KEY-----"));
    }

    @Test
    void renewReplacesASymlinkedNodeKeyInsteadOfWritingThroughIt() throws Exception {
        TestCa ca = TestCa.init(tmp.resolve("pki"));
        ca.issue("storage", "storage-1");
        Path victim = Files.writeString(tmp.resolve("victim.txt"), "must stay as it is\n");
        Path key = ca.key("storage", "storage-1");
        Files.delete(key);
        Files.createSymbolicLink(key, victim);

        ca.ok("renew", "--role", "storage", "--name", "storage-1");

        assertEquals("must stay as it is\n", Files.readString(victim));
        assertFalse(Files.isSymbolicLink(key));
        assertEquals(OWNER_ONLY, Files.getPosixFilePermissions(key, LinkOption.NOFOLLOW_LINKS));
    }
}
