package io.gitward.security.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecureFilesTest {
    @TempDir
    Path dir;

    @Test
    void aStagedPrivateFileIsOwnerOnlyBeforeItHoldsAByte() throws Exception {
        Path staged = SecureFiles.stage(dir.resolve("key.pem"), "secret".getBytes(StandardCharsets.US_ASCII),
                SecureFiles.OWNER_ONLY_FILE);
        assertEquals("0600", SecureFiles.mode(Files.getPosixFilePermissions(staged)));
        assertTrue(staged.getFileName().toString().startsWith(".key.pem.tmp-"));
    }

    @Test
    void writePrivateReplacesASymlinkInsteadOfWritingThroughIt() throws Exception {
        Path victim = dir.resolve("victim");
        Files.writeString(victim, "untouched");
        Path link = dir.resolve("key.pem");
        Files.createSymbolicLink(link, victim);
        SecureFiles.writePrivate(link, "new key".getBytes(StandardCharsets.US_ASCII));
        assertEquals("untouched", Files.readString(victim));
        assertFalse(Files.isSymbolicLink(link));
        assertArrayEquals("new key".getBytes(StandardCharsets.US_ASCII), Files.readAllBytes(link));
        assertEquals("0600", SecureFiles.mode(Files.getPosixFilePermissions(link, LinkOption.NOFOLLOW_LINKS)));
    }

    @Test
    void keysReadableByGroupOrOthersAreRefusedWithTheFix() throws Exception {
        Path key = dir.resolve("key.pem");
        Files.writeString(key, "x");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r-----"));
        InsecureFileException e = assertThrows(InsecureFileException.class, () -> SecureFiles.requireOwnerOnly(key));
        assertTrue(e.getMessage().contains("mode 0640") && e.getMessage().contains("chmod 600 " + key), e.getMessage());
        Files.setPosixFilePermissions(key, SecureFiles.OWNER_ONLY_FILE);
        SecureFiles.requireOwnerOnly(key);
    }

    @Test
    void permissionsOfASymlinkedKeyAreThoseOfItsTarget() throws Exception {
        Path target = dir.resolve("..data-key");
        Files.writeString(target, "x");
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
        Path link = dir.resolve("key.pem");
        Files.createSymbolicLink(link, target);
        assertThrows(InsecureFileException.class, () -> SecureFiles.requireOwnerOnly(link));
    }
}
