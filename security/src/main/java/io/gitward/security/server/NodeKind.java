package io.gitward.security.server;

import io.gitward.security.identity.Role;
import java.util.Locale;
import java.util.Optional;

/** The kinds of server {@code gitward node KIND} (and {@code gitward sidecar}) starts, with the role their certificate names. */
public enum NodeKind {
    STORAGE(Role.STORAGE),
    PROXY(Role.PROXY),
    COORDINATOR(Role.COORDINATOR),
    /** The Git smart-HTTP gateway: an edge that forwards end users' identities and has no rights of its own. */
    GATEWAY(Role.EDGE),
    /**
     * The mTLS sidecar ({@code gitward sidecar}): it stands in for the service it fronts and carries that service's
     * identity, so its role is whatever {@code sidecar.role} says rather than one fixed by the kind.
     */
    SIDECAR(null);

    private final Role role;

    NodeKind(Role role) {
        this.role = role;
    }

    /** The role in this kind's certificate; null when the node's config names it (the sidecar). */
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
