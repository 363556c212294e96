package io.gitward.security.x509;

import static java.util.Objects.requireNonNull;

import io.gitward.security.identity.NodeIdentity;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A certificate chain that passed every rule, and the identity it proves.
 *
 * @param identity the verified identity
 * @param path     leaf first, then intermediates, without the trust anchor
 * @param anchor   the trust-bundle certificate the path ends at
 * @param warnings non-fatal findings (a stale CRL where that is allowed), for logging
 */
public record ValidatedPeer(NodeIdentity identity, List<X509Certificate> path, X509Certificate anchor,
        List<String> warnings) {
    public ValidatedPeer {
        requireNonNull(identity, "identity");
        path = List.copyOf(path);
        requireNonNull(anchor, "anchor");
        warnings = List.copyOf(warnings);
    }

    public X509Certificate leaf() {
        return path.get(0);
    }
}
