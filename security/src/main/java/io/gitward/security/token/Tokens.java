package io.gitward.security.token;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.PriorityQueue;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Gitaly-style time-limited bearer tokens: {@code v3.<unix-seconds>.<nonce>.<hex HMAC-SHA256(secret,
 * "v3.<unix-seconds>.<nonce>")>}. A token is valid within {@code skew} of the receiver's clock and only once:
 * a replay cache remembers nonces for the skew window (bounded; when it is full, new tokens are refused
 * rather than replays allowed). Two secrets are accepted during a rotation. Thread-safe.
 */
public final class Tokens {
    public static final String PREFIX = "v3.";
    private static final int NONCE_BYTES = 12;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final TokenSecret secret;
    private final Duration skew;
    private final Clock clock;
    private final int replayCapacity;
    /** Remembered nonces, and the same ordered by expiry (epoch seconds) so expired ones leave in order. */
    private final Set<String> seenNonces = new HashSet<>();
    private final PriorityQueue<Remembered> byExpiry = new PriorityQueue<>(Comparator.comparingLong(Remembered::expiresAt));

    private record Remembered(long expiresAt, String nonce) {
    }

    public Tokens(TokenSecret secret, Duration skew, Clock clock, int replayCapacity) {
        this.secret = requireNonNull(secret, "secret");
        this.skew = requireNonNull(skew, "skew");
        this.clock = requireNonNull(clock, "clock");
        this.replayCapacity = replayCapacity;
    }

    /** A fresh token signed with the current secret. */
    public String issue() {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        String message = PREFIX + clock.instant().getEpochSecond() + "." + HexFormat.of().formatHex(nonce);
        return message + "." + HexFormat.of().formatHex(hmac(secret.current(), message));
    }

    /** Checks a token (without the "Bearer " prefix); a valid one is consumed. */
    public TokenVerdict verify(String token) {
        if (token == null || token.isEmpty()) {
            return TokenVerdict.ABSENT;
        }
        if (!token.startsWith(PREFIX) || token.length() > 200) {
            return TokenVerdict.MALFORMED;
        }
        int signatureStart = token.lastIndexOf('.');
        String message = token.substring(0, signatureStart);
        String[] parts = message.split("\\.", -1);
        if (parts.length != 3 || !parts[1].matches("\\d{1,12}") || !parts[2].matches("[0-9a-f]{24}")) {
            return TokenVerdict.MALFORMED;
        }
        byte[] signature;
        try {
            signature = HexFormat.of().parseHex(token.substring(signatureStart + 1));
        } catch (IllegalArgumentException e) {
            return TokenVerdict.MALFORMED;
        }
        boolean signed = false;
        for (byte[] candidate : secret.accepted()) {
            signed |= MessageDigest.isEqual(hmac(candidate, message), signature);
        }
        if (!signed) {
            return TokenVerdict.WRONG;
        }
        long issuedAt = Long.parseLong(parts[1]);
        long now = clock.instant().getEpochSecond();
        if (Math.abs(now - issuedAt) > skew.getSeconds()) {
            return TokenVerdict.EXPIRED;
        }
        return remember(parts[2], issuedAt + skew.getSeconds(), now);
    }

    private synchronized TokenVerdict remember(String nonce, long expiresAt, long now) {
        while (!byExpiry.isEmpty() && byExpiry.peek().expiresAt() < now) {
            seenNonces.remove(byExpiry.poll().nonce());
        }
        if (seenNonces.contains(nonce)) {
            return TokenVerdict.REPLAYED;
        }
        if (seenNonces.size() >= replayCapacity) {
            return TokenVerdict.REPLAY_CACHE_FULL;
        }
        seenNonces.add(nonce);
        byExpiry.add(new Remembered(Math.max(expiresAt, now), nonce));
        return TokenVerdict.VALID;
    }

    private static byte[] hmac(byte[] key, String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    public TokenSecret secret() {
        return secret;
    }
}
