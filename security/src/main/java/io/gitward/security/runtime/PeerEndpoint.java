package io.gitward.security.runtime;

import static java.util.Objects.requireNonNull;

import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.server.ListenAddress;

/**
 * A peer this node dials: who it must be, and where it listens. Either address may be null.
 *
 * @param identity  the identity the peer's certificate must carry (pinned; never a hostname)
 * @param tls       the peer's TLS listener
 * @param plaintext the peer's plaintext listener (used only while outbound TLS is off)
 */
public record PeerEndpoint(NodeIdentity identity, ListenAddress tls, ListenAddress plaintext) {
    public PeerEndpoint {
        requireNonNull(identity, "identity");
        if (tls == null && plaintext == null) {
            throw new IllegalArgumentException("peer " + identity + " has no address");
        }
    }
}
