package io.gitward.security.runtime;

import io.gitward.security.identity.IdentityMode;
import io.gitward.security.tls.TrustState;
import io.gitward.security.x509.PemException;
import io.gitward.security.x509.TrustBundle;
import io.gitward.security.x509.TrustBundles;
import io.gitward.security.x509.TrustMaterial;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.util.ArrayList;
import java.util.List;

/** Builds {@link TrustState}s from the configured files, refusing CRL rollbacks. */
final class TrustLoader {
    private TrustLoader() {
    }

    static TrustState load(List<SecuritySettings.DomainTrust> domains, IdentityMode mode, boolean staleCrlIsFatal)
            throws PemException {
        List<TrustBundle> bundles = new ArrayList<>();
        for (SecuritySettings.DomainTrust domain : domains) {
            bundles.add(TrustBundles.load(domain.trustDomain(), domain.roots(), domain.intermediates(), domain.crls(),
                    domain.revocation()));
        }
        return new TrustState(new TrustMaterial(bundles), mode, staleCrlIsFatal, 0);
    }

    /**
     * Refuses a reload whose CRL from some issuer has a lower CRL number than the one in use: an older file
     * put back (by mistake or by an attacker) must not un-revoke anyone.
     */
    static void requireNoRollback(TrustState current, TrustState next) throws PemException {
        for (TrustBundle bundle : next.material().bundles().values()) {
            TrustBundle old = current.material().bundleFor(bundle.trustDomain()).orElse(null);
            if (old == null) {
                continue;
            }
            for (X509CRL crl : bundle.crls()) {
                BigInteger number = TrustBundle.crlNumber(crl);
                for (X509CRL loaded : old.crls()) {
                    if (loaded.getIssuerX500Principal().equals(crl.getIssuerX500Principal())
                            && TrustBundle.crlNumber(loaded).compareTo(number) > 0) {
                        throw new PemException("CRL of '" + crl.getIssuerX500Principal().getName() + "' has CRL number "
                                + number + ", lower than the " + TrustBundle.crlNumber(loaded) + " in use; refusing the older"
                                + " CRL (re-sign with: gitward pki crl)");
                    }
                }
            }
        }
    }

    static List<Path> files(List<SecuritySettings.DomainTrust> domains) {
        List<Path> files = new ArrayList<>();
        for (SecuritySettings.DomainTrust domain : domains) {
            files.add(domain.roots());
            files.addAll(domain.intermediates());
            files.addAll(domain.crls());
        }
        return files;
    }
}
