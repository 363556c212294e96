package io.gitward.security.server;

import java.util.Locale;
import java.util.Optional;

/** The kinds of server {@code gitward node KIND} starts. */
public enum NodeKind {
    STORAGE,
    PROXY,
    COORDINATOR;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<NodeKind> fromWireName(String value) {
        for (NodeKind kind : values()) {
            if (kind.wireName().equals(value)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return wireName();
    }
}
