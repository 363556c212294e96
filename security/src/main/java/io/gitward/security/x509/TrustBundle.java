package io.gitward.security.x509;

import static java.util.Objects.requireNonNull;

import io.gitward.security.identity.TrustDomain;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.x509.Extension;

/**
 * The roots and CRLs that vouch for one trust domain. A certificate counts for a domain only if it
 * chains to that domain's anchors. Immutable apart from a bounded cache of CRL signature checks.
 */
public final class TrustBundle {
    private final TrustDomain trustDomain;
    private final List<X509Certificate> anchors;
    private final Set<TrustAnchor> trustAnchors;
    private final List<X509CRL> crls;
    private final List<X509Certificate> intermediates;
    private final RevocationPolicy revocationPolicy;
    /** CRL signature verdicts keyed by CRL and issuer key: each pair is verified once, not per handshake. */
    private final Map<CrlIssuerPair, Boolean> crlSignatureVerdicts = new ConcurrentHashMap<>();

    public TrustBundle(TrustDomain trustDomain, List<X509Certificate> anchors, List<X509CRL> crls,
            RevocationPolicy revocationPolicy) {
        this(trustDomain, anchors, List.of(), crls, revocationPolicy);
    }

    /**
     * @param intermediates known intermediate certificates (not trusted by themselves) that complete chains of
     *                      peers who send only their leaf, such as identities forwarded by an edge
     */
    public TrustBundle(TrustDomain trustDomain, List<X509Certificate> anchors, List<X509Certificate> intermediates,
            List<X509CRL> crls, RevocationPolicy revocationPolicy) {
        this.trustDomain = requireNonNull(trustDomain, "trustDomain");
        this.anchors = List.copyOf(anchors);
        this.intermediates = List.copyOf(intermediates);
        this.crls = List.copyOf(crls);
        this.revocationPolicy = requireNonNull(revocationPolicy, "revocationPolicy");
        if (this.anchors.isEmpty()) {
            throw new IllegalArgumentException("trust bundle for '" + trustDomain + "' has no certificate");
        }
        Set<TrustAnchor> set = new LinkedHashSet<>();
        for (X509Certificate anchor : this.anchors) {
            set.add(new TrustAnchor(anchor, null));
        }
        this.trustAnchors = Set.copyOf(set);
    }

    public TrustDomain trustDomain() {
        return trustDomain;
    }

    public List<X509Certificate> anchors() {
        return anchors;
    }

    public List<X509Certificate> intermediates() {
        return intermediates;
    }

    Set<TrustAnchor> trustAnchors() {
        return trustAnchors;
    }

    public List<X509CRL> crls() {
        return crls;
    }

    public RevocationPolicy revocationPolicy() {
        return revocationPolicy;
    }

    /**
     * The newest CRL (highest CRL number, then latest this-update) issued by {@code issuer} whose
     * signature verifies with the issuer's key.
     */
    Optional<X509CRL> crlIssuedBy(X509Certificate issuer) {
        PublicKey key = issuer.getPublicKey();
        List<X509CRL> candidates = new ArrayList<>();
        for (X509CRL crl : crls) {
            if (crl.getIssuerX500Principal().equals(issuer.getSubjectX500Principal()) && signedBy(crl, key)) {
                candidates.add(crl);
            }
        }
        return candidates.stream().max(Comparator.comparing(TrustBundle::crlNumber)
                .thenComparing(X509CRL::getThisUpdate));
    }

    private boolean signedBy(X509CRL crl, PublicKey key) {
        return crlSignatureVerdicts.computeIfAbsent(new CrlIssuerPair(crl, key), pair -> {
            try {
                crl.verify(key);
                return true;
            } catch (GeneralSecurityException e) {
                return false;
            }
        });
    }

    /** The CRL number extension, or -1 when absent. */
    public static BigInteger crlNumber(X509CRL crl) {
        byte[] extension = crl.getExtensionValue(Extension.cRLNumber.getId());
        if (extension == null) {
            return BigInteger.ONE.negate();
        }
        try {
            byte[] inner = org.bouncycastle.asn1.ASN1OctetString.getInstance(extension).getOctets();
            return ASN1Integer.getInstance(inner).getValue();
        } catch (RuntimeException e) {
            return BigInteger.ONE.negate();
        }
    }

    /** Identity-keyed pair: CRL objects of one bundle are never equal-but-distinct. */
    private record CrlIssuerPair(X509CRL crl, PublicKey key) {
        @Override
        public boolean equals(Object other) {
            return other instanceof CrlIssuerPair pair && pair.crl == crl && pair.key.equals(key);
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(crl) * 31 + key.hashCode();
        }
    }
}
