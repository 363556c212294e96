package io.gitward.tests.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * One header as a receiver decoded it from HPACK: the name and the value's octets. A {@code -bin} header travels as
 * base64 (gRPC allows several values joined by commas, padded or not); {@link #binaryValues()} are the raw bytes.
 */
record WireHeader(String name, byte[] value) {
    boolean binary() {
        return name.endsWith("-bin");
    }

    String text() {
        return new String(value, StandardCharsets.ISO_8859_1);
    }

    /** The raw bytes of a {@code -bin} header's values; empty for other headers or values that are not base64. */
    List<byte[]> binaryValues() {
        List<byte[]> values = new ArrayList<>();
        if (!binary()) {
            return values;
        }
        for (String part : text().split(",", -1)) {
            try {
                values.add(Base64.getDecoder().decode(part.strip()));
            } catch (IllegalArgumentException e) {
                // Not base64: the octets as they arrived are still searched through value().
            }
        }
        return values;
    }
}
