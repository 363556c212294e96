package io.gitward.transaction;

import java.util.Arrays;
import java.util.HexFormat;

/** The SHA-256 a voter computed over the update it prepared. */
public final class VoteHash {
    public static final int LENGTH = 32;

    private final byte[] bytes;

    private VoteHash(byte[] bytes) {
        this.bytes = bytes;
    }

    /** @throws IllegalArgumentException when {@code bytes} is not 32 bytes long */
    public static VoteHash of(byte[] bytes) {
        if (bytes == null || bytes.length != LENGTH) {
            throw new IllegalArgumentException("vote hash is " + (bytes == null ? 0 : bytes.length)
                    + " bytes (expected: a 32-byte SHA-256)");
        }
        return new VoteHash(bytes.clone());
    }

    public String hex() {
        return HexFormat.of().formatHex(bytes);
    }

    /** First 12 hex digits, for messages. */
    public String shortHex() {
        return hex().substring(0, 12);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof VoteHash hash && Arrays.equals(bytes, hash.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return shortHex();
    }
}
