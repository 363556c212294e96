package io.gitward.tests.security;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The server end of an HTTP/2 connection, as far as a test needs it to see how a client encodes its request
 * headers: answers the preface with an empty SETTINGS frame (so the client starts its calls) and returns, per
 * HEADERS frame, the kind of each HPACK field representation (RFC 7541 section 6). Names and values are skipped,
 * not decoded: a test asks whether a field was indexed, not what it was.
 */
final class HeaderBlockRepresentations {
    enum Kind { INDEXED, INCREMENTAL, WITHOUT_INDEXING, NEVER_INDEXED, TABLE_SIZE_UPDATE }

    private static final int PREFACE_BYTES = 24;
    private static final int TYPE_HEADERS = 0x1;
    private static final int FLAG_PADDED = 0x8;
    private static final int FLAG_PRIORITY = 0x20;

    private HeaderBlockRepresentations() {
    }

    /** Reads frames until {@code blocks} HEADERS frames arrived; returns each one's representations in order. */
    static List<List<Kind>> read(DataInputStream in, OutputStream out, int blocks) throws IOException {
        in.readFully(new byte[PREFACE_BYTES]);
        out.write(new byte[] {0, 0, 0, 0x4, 0, 0, 0, 0, 0}); // SETTINGS, no parameters
        out.flush();
        List<List<Kind>> found = new ArrayList<>();
        while (found.size() < blocks) {
            int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            in.readInt(); // stream id
            byte[] payload = new byte[length];
            in.readFully(payload);
            if (type == TYPE_HEADERS) {
                int start = 0;
                int end = length;
                if ((flags & FLAG_PADDED) != 0) {
                    end -= payload[0] & 0xff;
                    start = 1;
                }
                if ((flags & FLAG_PRIORITY) != 0) {
                    start += 5;
                }
                found.add(representations(payload, start, end));
            }
        }
        return found;
    }

    static List<Kind> representations(byte[] block, int start, int end) {
        List<Kind> kinds = new ArrayList<>();
        int[] at = {start};
        while (at[0] < end) {
            int first = block[at[0]] & 0xff;
            if ((first & 0x80) != 0) {
                integer(block, at, 7);
                kinds.add(Kind.INDEXED);
            } else if ((first & 0x40) != 0) {
                literal(block, at, 6);
                kinds.add(Kind.INCREMENTAL);
            } else if ((first & 0x20) != 0) {
                integer(block, at, 5);
                kinds.add(Kind.TABLE_SIZE_UPDATE);
            } else {
                literal(block, at, 4);
                kinds.add((first & 0x10) != 0 ? Kind.NEVER_INDEXED : Kind.WITHOUT_INDEXING);
            }
        }
        return kinds;
    }

    /** A literal field: the name's index (0: a literal name follows), then the value. */
    private static void literal(byte[] block, int[] at, int prefixBits) {
        if (integer(block, at, prefixBits) == 0) {
            string(block, at);
        }
        string(block, at);
    }

    private static void string(byte[] block, int[] at) {
        int length = (int) integer(block, at, 7); // the Huffman bit sits above the 7-bit length prefix
        at[0] += length;
    }

    private static long integer(byte[] block, int[] at, int prefixBits) {
        int mask = (1 << prefixBits) - 1;
        long value = block[at[0]++] & mask;
        if (value < mask) {
            return value;
        }
        int shift = 0;
        int next;
        do {
            next = block[at[0]++] & 0xff;
            value += (long) (next & 0x7f) << shift;
            shift += 7;
        } while ((next & 0x80) != 0);
        return value;
    }
}
