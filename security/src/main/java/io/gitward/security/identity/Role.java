package io.gitward.security.identity;

import java.util.Locale;
import java.util.Optional;

/**
 * The role a certificate carries. The set is closed: an unknown role is an invalid identity,
 * never a new kind of caller.
 */
public enum Role {
    /** GitLab-Rails-like callers of the public API. */
    CLIENT,
    /** The Praefect-like proxy. */
    PROXY,
    /** A Gitaly-like storage node. */
    STORAGE,
    /** The transaction service when it runs standalone. */
    COORDINATOR,
    /** Operators who may change the cluster. */
    ADMIN,
    /** Operators with read-only views. */
    AUDITOR,
    /** A trusted TLS-terminating front that forwards a client identity. */
    EDGE;

    private final String wireName = name().toLowerCase(Locale.ROOT);

    /** The lower-case name used in SPIFFE IDs, subjects, config and logs. */
    public String wireName() {
        return wireName;
    }

    /** Exact, case-sensitive lookup of a wire name. */
    public static Optional<Role> fromWireName(String value) {
        for (Role role : values()) {
            if (role.wireName.equals(value)) {
                return Optional.of(role);
            }
        }
        return Optional.empty();
    }

    /** Parses a role given by an operator, naming the accepted values when it is unknown. */
    public static Role parse(String value) {
        return fromWireName(value).orElseThrow(() -> new IllegalArgumentException(
                "role: '" + value + "' (expected one of: " + allWireNames() + ")"));
    }

    public static String allWireNames() {
        StringBuilder names = new StringBuilder();
        for (Role role : values()) {
            if (names.length() > 0) {
                names.append(", ");
            }
            names.append(role.wireName);
        }
        return names.toString();
    }

    @Override
    public String toString() {
        return wireName;
    }
}
