package io.gitward.cli.cluster;

import io.gitward.security.x509.Pem;
import io.gitward.security.x509.PemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * When files are due for renewal: a leaf at about half its lifetime — between 45 % and 55 %, fixed per
 * certificate by its serial, so identities issued together do not all renew in the same second — and the CRL
 * at half its validity. Lifetimes count back from the expiry with the configured TTL: the CA backdates
 * not-before for clock skew, which would make short-lived leaves look half-spent as soon as they are issued.
 * A missing or unreadable file is due at once.
 */
final class Renewals {
    private Renewals() {
    }

    static boolean leafDue(Path chain, Duration ttl, Instant now) {
        return leafDueAt(chain, ttl).map(due -> !now.isBefore(due)).orElse(true);
    }

    static Optional<Instant> leafDueAt(Path chain, Duration ttl) {
        try {
            if (!Files.exists(chain)) {
                return Optional.empty();
            }
            X509Certificate leaf = Pem.readCertificatesRequired(chain).get(0);
            Instant expiry = leaf.getNotAfter().toInstant();
            Duration issued = Duration.between(leaf.getNotBefore().toInstant(), expiry);
            Duration lifetime = issued.compareTo(ttl) < 0 ? issued : ttl;
            double fraction = 0.45 + Math.floorMod(leaf.getSerialNumber().hashCode(), 1000) / 10_000.0;
            return Optional.of(expiry.minus(lifetime).plusMillis((long) (lifetime.toMillis() * fraction)));
        } catch (PemException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The first certificate's expiry, or null when the file is missing or unreadable. */
    static Instant notAfter(Path certificates) {
        try {
            return Pem.readCertificatesRequired(certificates).get(0).getNotAfter().toInstant();
        } catch (PemException | RuntimeException e) {
            return null;
        }
    }

    /** The first CRL's next update, or null when the file is missing or unreadable or has none. */
    static Instant crlNextUpdate(Path crl) {
        try {
            List<X509CRL> crls = Pem.readCrls(crl);
            return crls.isEmpty() || crls.get(0).getNextUpdate() == null ? null : crls.get(0).getNextUpdate().toInstant();
        } catch (PemException | RuntimeException e) {
            return null;
        }
    }

    static boolean crlDue(Path crl, Instant now) {
        try {
            List<X509CRL> crls = Pem.readCrls(crl);
            if (crls.isEmpty() || crls.get(0).getNextUpdate() == null) {
                return true;
            }
            Instant from = crls.get(0).getThisUpdate().toInstant();
            Instant next = crls.get(0).getNextUpdate().toInstant();
            return !now.isBefore(from.plus(Duration.between(from, next).dividedBy(2)));
        } catch (PemException | RuntimeException e) {
            return true;
        }
    }
}
