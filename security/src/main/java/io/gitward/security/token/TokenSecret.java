package io.gitward.security.token;

import io.gitward.security.files.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The shared token secrets from a token file: the first non-empty line is the current secret, an optional
 * second line the previous one (accepted during a token rotation). {@link #toString()} never shows them.
 */
public final class TokenSecret {
    private final List<byte[]> secrets;

    private TokenSecret(List<byte[]> secrets) {
        this.secrets = secrets;
    }

    /**
     * @throws IOException naming the file: missing, readable by others, empty, or with more than two secrets
     */
    public static TokenSecret load(Path file) throws IOException {
        SecureFiles.requireOwnerOnly(file);
        List<byte[]> secrets = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String trimmed = line.strip();
            if (!trimmed.isEmpty()) {
                secrets.add(trimmed.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (secrets.isEmpty()) {
            throw new IOException(file + ": the token file is empty (expected: the secret on the first line)");
        }
        if (secrets.size() > 2) {
            throw new IOException(file + ": holds " + secrets.size() + " secrets (expected: current, then at most one previous)");
        }
        for (byte[] secret : secrets) {
            if (secret.length < 16) {
                throw new IOException(file + ": a secret is shorter than 16 bytes (expected a long random value)");
            }
        }
        return new TokenSecret(secrets);
    }

    public static TokenSecret of(String... secrets) {
        List<byte[]> list = new ArrayList<>();
        for (String secret : secrets) {
            list.add(secret.getBytes(StandardCharsets.UTF_8));
        }
        return new TokenSecret(list);
    }

    /** The secret new tokens are signed with. */
    byte[] current() {
        return secrets.get(0);
    }

    /** Every secret a received token may be signed with (current first). */
    List<byte[]> accepted() {
        return secrets;
    }

    /** Whether {@code value} contains any secret's bytes, for tests that search captures and logs. */
    public boolean appearsIn(byte[] value) {
        for (byte[] secret : secrets) {
            for (int i = 0; i + secret.length <= value.length; i++) {
                if (Arrays.equals(value, i, i + secret.length, secret, 0, secret.length)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "TokenSecret(" + secrets.size() + " secret" + (secrets.size() == 1 ? "" : "s") + ", redacted)";
    }
}
