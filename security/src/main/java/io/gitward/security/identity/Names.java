package io.gitward.security.identity;

/** The node-name grammar and helpers for quoting untrusted strings in messages. */
final class Names {
    static final int MAX_NAME_LENGTH = 63;

    private Names() {
    }

    /** Returns why {@code value} is not a node name ({@code [a-z0-9-]{1,63}}), or null when it is one. */
    static String nameProblem(String value) {
        if (value.isEmpty() || value.length() > MAX_NAME_LENGTH) {
            return "name: '" + printable(value) + "' (expected: 1 to 63 of [a-z0-9-])";
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
                return "name: '" + printable(value) + "' (expected: 1 to 63 of [a-z0-9-])";
            }
        }
        return null;
    }

    /** Renders control characters visibly and caps the length, so hostile input cannot forge log lines. */
    static String printable(String value) {
        StringBuilder out = new StringBuilder();
        int limit = Math.min(value.length(), 200);
        for (int i = 0; i < limit; i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (value.length() > limit) {
            out.append("...");
        }
        return out.toString();
    }

    static boolean hasControlCharacter(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                return true;
            }
        }
        return false;
    }
}
