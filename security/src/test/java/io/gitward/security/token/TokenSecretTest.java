package io.gitward.security.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.files.InsecureFileException;
import io.gitward.security.files.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TokenSecretTest {
    private static final String CURRENT = "Zq3-current-secret-9f8e7d6c5b4a";
    private static final String PREVIOUS = "Xw7-previous-secret-1a2b3c4d5e6f";

    @TempDir
    Path dir;

    private Path write(String content, String mode) throws IOException {
        Path file = dir.resolve("tokens");
        Files.writeString(file, content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("a group-readable file is refused with the chmod that fixes it", CURRENT + "\n", "rw-r-----",
                        "chmod 600"),
                Arguments.of("a world-readable file is refused with the chmod that fixes it", CURRENT + "\n", "rw-r--r--",
                        "chmod 600"),
                Arguments.of("a group-writable file is refused", CURRENT + "\n", "rw--w----", "chmod 600"),
                Arguments.of("an empty file is refused", "", "rw-------", "the token file is empty"),
                Arguments.of("a file of blank lines is refused", "\n   \n\t\n", "rw-------", "the token file is empty"),
                Arguments.of("three secrets are refused", CURRENT + "\n" + PREVIOUS + "\nYet-another-secret-123456\n",
                        "rw-------", "holds 3 secrets"),
                Arguments.of("a 15-byte secret is refused", "Abcdefghijklmno\n", "rw-------", "shorter than 16 bytes"),
                Arguments.of("a short previous secret is refused", CURRENT + "\nShort-1\n", "rw-------",
                        "shorter than 16 bytes"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void refusedFilesAreNamedWithoutTheirSecrets(String name, String content, String mode, String expected)
            throws Exception {
        Path file = write(content, mode);
        IOException e = assertThrows(IOException.class, () -> TokenSecret.load(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        for (String line : content.split("\n")) {
            if (!line.isBlank()) {
                assertFalse(e.getMessage().contains(line.strip()), "the message shows a secret: " + e.getMessage());
            }
        }
    }

    @Test
    void aReadableFileIsAnInsecureFile() throws Exception {
        Path file = write(CURRENT, "rw-r--r--");
        assertThrows(InsecureFileException.class, () -> TokenSecret.load(file));
    }

    @Test
    void aMissingFileIsNamed() {
        Path file = dir.resolve("absent");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> TokenSecret.load(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void theFirstLineSignsAndBothAreAcceptedAfterTrimming() throws Exception {
        Path file = write("\n  " + CURRENT + "  \r\n\n" + PREVIOUS + "\n", "rw-------");
        TokenSecret loaded = TokenSecret.load(file);
        Clock clock = Clock.fixed(Instant.parse("2030-01-01T00:00:00Z"), ZoneOffset.UTC);
        Tokens receiver = new Tokens(loaded, Duration.ofSeconds(30), clock, 100);
        assertEquals(TokenVerdict.VALID, new Tokens(TokenSecret.of(CURRENT), Duration.ofSeconds(30), clock, 100)
                .verify(receiver.issue()), "new tokens are signed with the first secret");
        assertEquals(TokenVerdict.VALID, receiver.verify(new Tokens(TokenSecret.of(PREVIOUS), Duration.ofSeconds(30),
                clock, 100).issue()), "the second secret is still accepted");
    }

    @Test
    void anOwnerOnlyFileWithOneSecretLoads() throws Exception {
        Path file = write(CURRENT + "\n", "rw-------");
        assertEquals("0600", SecureFiles.mode(Files.getPosixFilePermissions(file)));
        assertEquals("TokenSecret(1 secret, redacted)", TokenSecret.load(file).toString());
    }

    @Test
    void toStringNeverShowsASecret() throws Exception {
        TokenSecret secret = TokenSecret.load(write(CURRENT + "\n" + PREVIOUS + "\n", "rw-------"));
        String rendered = secret.toString() + " " + new Tokens(secret, Duration.ofSeconds(30), Clock.systemUTC(), 10);
        assertFalse(rendered.contains(CURRENT) || rendered.contains(PREVIOUS), rendered);
        assertTrue(secret.toString().contains("2 secrets") && secret.toString().contains("redacted"), secret.toString());
    }

    @Test
    void appearsInFindsEitherSecretInCapturedBytes() {
        TokenSecret secret = TokenSecret.of(CURRENT, PREVIOUS);
        assertTrue(secret.appearsIn(("header: Bearer " + PREVIOUS + " trailer").getBytes(StandardCharsets.UTF_8)));
        assertTrue(secret.appearsIn(CURRENT.getBytes(StandardCharsets.UTF_8)));
        assertFalse(secret.appearsIn(CURRENT.substring(1).getBytes(StandardCharsets.UTF_8)));
        assertFalse(secret.appearsIn(new byte[0]));
    }
}
