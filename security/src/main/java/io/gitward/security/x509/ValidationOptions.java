package io.gitward.security.x509;

import static java.util.Objects.requireNonNull;

import io.gitward.security.identity.IdentityMode;
import java.time.Instant;

/**
 * How one validation runs.
 *
 * @param at              the instant the chain and CRLs must be valid at
 * @param purpose         which extended key usage the leaf must carry
 * @param identityMode    where the identity is read from
 * @param staleCrlIsFatal whether a CRL past its next-update refuses the peer (fail closed) or only warns
 */
public record ValidationOptions(Instant at, Purpose purpose, IdentityMode identityMode, boolean staleCrlIsFatal) {
    public ValidationOptions {
        requireNonNull(at, "at");
        requireNonNull(purpose, "purpose");
        requireNonNull(identityMode, "identityMode");
    }

    public static ValidationOptions now(Purpose purpose) {
        return new ValidationOptions(Instant.now(), purpose, IdentityMode.URI_SAN, true);
    }

    public ValidationOptions at(Instant instant) {
        return new ValidationOptions(instant, purpose, identityMode, staleCrlIsFatal);
    }
}
