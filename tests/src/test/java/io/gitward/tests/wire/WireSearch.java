package io.gitward.tests.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

/**
 * Searches byte views of captured traffic for needles (every occurrence of every needle, through an index on their
 * first four bytes, so a few thousand needles cost one pass) and for anything shaped like a bearer token.
 */
final class WireSearch {
    /** Where a search looks: one capture's raw bytes, one header, one message. */
    record View(String source, String connection, String where, byte[] bytes) {
    }

    /**
     * A needle found. {@code value} is the token a token-shaped hit matched (kept for the positive controls, never
     * printed); toString names the place and the kind of needle only.
     */
    record Hit(String segment, String source, String connection, String where, String needle, String value) {
        @Override
        public String toString() {
            return segment + ": " + needle + " in " + source + " " + connection + " " + where;
        }
    }

    private final Map<Integer, List<Needles.Needle>> byPrefix = new HashMap<>();

    WireSearch(List<Needles.Needle> needles) {
        for (Needles.Needle needle : needles) {
            byPrefix.computeIfAbsent(prefix(needle.bytes(), 0), key -> new ArrayList<>()).add(needle);
        }
    }

    List<Hit> search(String segment, View view) {
        List<Hit> hits = new ArrayList<>();
        byte[] bytes = view.bytes();
        for (int i = 0; i + 4 <= bytes.length; i++) {
            List<Needles.Needle> candidates = byPrefix.get(prefix(bytes, i));
            if (candidates == null) {
                continue;
            }
            for (Needles.Needle needle : candidates) {
                byte[] wanted = needle.bytes();
                if (i + wanted.length <= bytes.length && Arrays.equals(bytes, i, i + wanted.length, wanted, 0, wanted.length)) {
                    hits.add(new Hit(segment, view.source(), view.connection(), view.where(), needle.label(), null));
                }
            }
        }
        Matcher token = Needles.TOKEN.matcher(new String(bytes, StandardCharsets.ISO_8859_1));
        while (token.find()) {
            hits.add(new Hit(segment, view.source(), view.connection(), view.where(), "bearer token", token.group()));
        }
        return hits;
    }

    private static int prefix(byte[] bytes, int at) {
        return ((bytes[at] & 0xff) << 24) | ((bytes[at + 1] & 0xff) << 16) | ((bytes[at + 2] & 0xff) << 8)
                | (bytes[at + 3] & 0xff);
    }
}
