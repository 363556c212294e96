package io.gitward.security.server;

import io.gitward.security.identity.Role;
import java.util.Locale;
import java.util.Optional;

/** The kinds of server {@code gitward node KIND} starts, each with the role its certificate must name. */
public enum NodeKind {
    STORAGE(Role.STORAGE),
    PROXY(Role.PROXY),
    COORDINATOR(Role.COORDINATOR),
    /** The Git smart-HTTP gateway: an edge that forwards end users' identities and has no rights of its own. */
    GATEWAY(Role.EDGE);

    private final Role role;

    NodeKind(Role role) {
        this.role = role;
    }

    /** The role in this kind's certificate. */
    public Role role() {
        return role;
    }

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
