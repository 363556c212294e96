package io.gitward.security.identity;

import static java.util.Objects.requireNonNull;

/**
 * A SPIFFE trust domain: one cluster (a "cell"). Lower-case letters, digits, '.', '-' and '_',
 * at most 255 characters; a certificate counts for a trust domain only if it chains to that
 * domain's own bundle.
 */
public record TrustDomain(String name) implements Comparable<TrustDomain> {
    private static final int MAX_LENGTH = 255;

    public TrustDomain {
        requireNonNull(name, "name");
        String problem = problemWith(name);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** Parses an operator-supplied trust domain, throwing a message that quotes the value. */
    public static TrustDomain of(String name) {
        return new TrustDomain(name);
    }

    /** Returns why {@code value} is not a trust domain, or null when it is one. */
    static String problemWith(String value) {
        if (value.isEmpty()) {
            return "trust domain: '' (expected: lower-case letters, digits, '.', '-', '_')";
        }
        if (value.length() > MAX_LENGTH) {
            return "trust domain: '" + Names.printable(value) + "' is longer than " + MAX_LENGTH + " characters";
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
            if (!allowed) {
                return "trust domain: '" + Names.printable(value)
                        + "' (expected: lower-case letters, digits, '.', '-', '_'; no port, user-info or upper case)";
            }
        }
        if (value.startsWith(".") || value.endsWith(".") || value.contains("..")) {
            return "trust domain: '" + value + "' (expected: no empty labels)";
        }
        return null;
    }

    @Override
    public int compareTo(TrustDomain other) {
        return name.compareTo(other.name);
    }

    @Override
    public String toString() {
        return name;
    }
}
