package io.gitward.security.tls;

import static java.util.Objects.requireNonNull;

import io.gitward.security.identity.IdentityMode;
import io.gitward.security.x509.PeerCertificateValidator;
import io.gitward.security.x509.TrustMaterial;

/**
 * One immutable generation of trust: the bundles and CRLs, how identities are read, and whether a stale
 * CRL refuses peers. Every reload makes a new generation with a higher number; connections validated under
 * an older generation are re-checked.
 */
public record TrustState(TrustMaterial material, IdentityMode identityMode, boolean staleCrlIsFatal, long generation) {
    public TrustState {
        requireNonNull(material, "material");
        requireNonNull(identityMode, "identityMode");
    }

    public PeerCertificateValidator validator() {
        return new PeerCertificateValidator(material);
    }
}
