package io.gitward.tests.wire;

import io.gitward.security.x509.Pem;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The byte strings that must not reach a node or cross a relay, in every form they could take there: the token
 * secret and each node's private key (never, in any phase), and the bearer tokens issued in the run (never from
 * phase 3). Labels name what a needle is, never its value, so a failure message leaks nothing.
 */
final class Needles {
    /** Any Gitaly-style token of this codebase ({@code v3.<unix-seconds>.<nonce>.<HMAC>}), known or not. */
    static final Pattern TOKEN = Pattern.compile("v3\\.[0-9]{1,12}\\.[0-9a-f]{24}\\.[0-9a-f]{64}");
    /** Shorter fragments (a PEM file's last line) would match by chance. */
    private static final int MIN_LENGTH = 16;

    /** One byte string and what it is. */
    record Needle(String label, byte[] bytes) {
    }

    private final List<Needle> needles = new ArrayList<>();

    List<Needle> all() {
        return List.copyOf(needles);
    }

    int size() {
        return needles.size();
    }

    /** The shared token secret: raw, base64 (standard and URL alphabet, with and without padding), hex. */
    Needles tokenSecret(String secret) {
        forms("token secret", secret.getBytes(StandardCharsets.UTF_8), true);
        return this;
    }

    /**
     * A bearer token issued in the run, in its encoded forms (base64, hex). The token itself is found by its shape
     * ({@link #TOKEN}), which also catches tokens nobody harvested.
     */
    Needles bearerToken(String token) {
        forms("bearer token", token.getBytes(StandardCharsets.US_ASCII), false);
        return this;
    }

    /**
     * A node's private key: the DER in its file, its PKCS#8 encoding, the PEM body (whole and line by line), and for
     * EC keys the private scalar (raw and hex).
     */
    Needles privateKey(String owner, Path keyFile) throws IOException {
        String pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
        List<String> body = pem.lines().filter(line -> !line.startsWith("-----") && !line.isBlank()).map(String::strip)
                .toList();
        String label = "private key of " + owner;
        add(label + " (PEM body)", String.join("", body).getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < body.size(); i++) {
            add(label + " (PEM line " + (i + 1) + ")", body.get(i).getBytes(StandardCharsets.US_ASCII));
        }
        add(label + " (DER)", Base64.getDecoder().decode(String.join("", body)));
        try {
            PrivateKey key = Pem.readPrivateKey(keyFile, null);
            add(label + " (PKCS#8)", key.getEncoded());
            if (key instanceof ECPrivateKey ec) {
                byte[] scalar = unsigned(ec.getS(), (ec.getParams().getCurve().getField().getFieldSize() + 7) / 8);
                add(label + " (private scalar)", scalar);
                add(label + " (private scalar, hex)", HexFormat.of().formatHex(scalar).getBytes(StandardCharsets.US_ASCII));
            }
        } catch (Exception e) {
            throw new IOException(keyFile + ": cannot read the private key to search for it: " + e.getMessage(), e);
        }
        return this;
    }

    private void forms(String label, byte[] raw, boolean includeRaw) {
        if (includeRaw) {
            add(label + " (raw)", raw);
        }
        add(label + " (base64)", Base64.getEncoder().encode(raw));
        add(label + " (base64, unpadded)", Base64.getEncoder().withoutPadding().encode(raw));
        add(label + " (base64url)", Base64.getUrlEncoder().encode(raw));
        add(label + " (base64url, unpadded)", Base64.getUrlEncoder().withoutPadding().encode(raw));
        String hex = HexFormat.of().formatHex(raw);
        add(label + " (hex)", hex.getBytes(StandardCharsets.US_ASCII));
        add(label + " (HEX)", hex.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII));
    }

    private void add(String label, byte[] bytes) {
        if (bytes.length < MIN_LENGTH) {
            return;
        }
        for (Needle needle : needles) {
            if (Arrays.equals(needle.bytes(), bytes)) {
                return;
            }
        }
        needles.add(new Needle(label, bytes));
    }

    private static byte[] unsigned(BigInteger value, int length) {
        byte[] bytes = value.toByteArray();
        byte[] out = new byte[length];
        int copy = Math.min(bytes.length, length);
        System.arraycopy(bytes, bytes.length - copy, out, length - copy, copy);
        return out;
    }
}
