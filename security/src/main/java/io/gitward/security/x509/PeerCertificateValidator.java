package io.gitward.security.x509;

import static java.util.Objects.requireNonNull;

import io.gitward.security.identity.CertificateIdentities;
import io.gitward.security.identity.InvalidIdentityException;
import io.gitward.security.identity.NodeIdentity;
import java.security.GeneralSecurityException;
import java.security.cert.CRLReason;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;

/**
 * The one validation path for peer certificates, used by TLS trust managers at handshake time and by
 * {@code gitward pki verify}: identity grammar, trust-domain binding, leaf profile, key and signature
 * minimums, chain to the domain's own anchors (PKIX), then revocation against the domain's CRLs.
 *
 * <p>Thread-safe; holds only an immutable {@link TrustMaterial}.
 */
public final class PeerCertificateValidator {
    private static final int MAX_CHAIN_DEPTH = 6;
    private static final int MAX_CANDIDATE_PATHS = 8;
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    private static final int KEY_CERT_SIGN = 5;

    private final TrustMaterial trust;

    public PeerCertificateValidator(TrustMaterial trust) {
        this.trust = requireNonNull(trust, "trust");
    }

    public TrustMaterial trust() {
        return trust;
    }

    /**
     * Validates a presented chain.
     *
     * @param presented leaf first, as sent in a TLS handshake or read from a file
     * @param untrusted further certificates that may serve as intermediates (never as anchors)
     * @throws CertificateRejectedException with the first rule that failed
     */
    public ValidatedPeer validate(List<X509Certificate> presented, List<X509Certificate> untrusted,
            ValidationOptions options) throws CertificateRejectedException {
        if (presented == null || presented.isEmpty()) {
            throw new CertificateRejectedException(RejectReason.NO_CERTIFICATE, "peer presented no certificate");
        }
        X509Certificate leaf = presented.get(0);
        NodeIdentity identity;
        try {
            identity = CertificateIdentities.identityOf(leaf, options.identityMode());
        } catch (InvalidIdentityException e) {
            throw new CertificateRejectedException(RejectReason.of(e.problem()),
                    "certificate " + Certificates.describe(leaf) + ": " + e.getMessage());
        }
        String who = identity.spiffeId() + " (serial " + Certificates.serialHex(leaf) + ")";
        TrustBundle bundle = trust.bundleFor(identity.trustDomain()).orElseThrow(() ->
                new CertificateRejectedException(RejectReason.FOREIGN_TRUST_DOMAIN, who + ": trust domain '"
                        + identity.trustDomain() + "' is not trusted here (trusted: " + trust.trustedDomainNames() + ")"));
        checkLeafProfile(leaf, options.purpose(), who);

        List<X509Certificate> pool = new ArrayList<>(presented.subList(1, presented.size()));
        pool.addAll(untrusted);
        pool.addAll(bundle.intermediates());
        List<CandidatePath> candidates = new ArrayList<>();
        List<X509Certificate> path = new ArrayList<>();
        path.add(leaf);
        assemble(path, pool, bundle, candidates);
        if (candidates.isEmpty()) {
            throw new CertificateRejectedException(RejectReason.UNTRUSTED_ISSUER, who + ": issuer '"
                    + leaf.getIssuerX500Principal().getName() + "' is not in the trust bundle of '"
                    + identity.trustDomain() + "' and no intermediate leads there");
        }
        CertificateRejectedException firstFailure = null;
        for (CandidatePath candidate : candidates) {
            try {
                List<String> warnings = new ArrayList<>();
                checkCrypto(candidate, who);
                checkIssuers(candidate, who);
                checkPkix(candidate, options.at(), who);
                checkDomainBinding(candidate, identity, who);
                checkRevocation(candidate, bundle, options, who, warnings);
                return new ValidatedPeer(identity, candidate.path, candidate.anchor, warnings);
            } catch (CertificateRejectedException e) {
                if (firstFailure == null) {
                    firstFailure = e;
                }
            }
        }
        throw firstFailure;
    }

    private static void checkLeafProfile(X509Certificate leaf, Purpose purpose, String who)
            throws CertificateRejectedException {
        if (Certificates.isCa(leaf)) {
            throw new CertificateRejectedException(RejectReason.LEAF_IS_CA,
                    who + ": leaf certificate is a CA (basicConstraints CA:TRUE)");
        }
        if (!Certificates.allowsDigitalSignature(leaf)) {
            throw new CertificateRejectedException(RejectReason.KEY_USAGE,
                    who + ": key usage lacks digitalSignature");
        }
        boolean needsClient = purpose == Purpose.TLS_CLIENT || purpose == Purpose.NODE;
        boolean needsServer = purpose == Purpose.TLS_SERVER || purpose == Purpose.NODE;
        if (needsClient && !Certificates.hasExtendedKeyUsage(leaf, Certificates.OID_CLIENT_AUTH)) {
            throw new CertificateRejectedException(RejectReason.MISSING_EXTENDED_KEY_USAGE,
                    who + ": extended key usage lacks clientAuth");
        }
        if (needsServer && !Certificates.hasExtendedKeyUsage(leaf, Certificates.OID_SERVER_AUTH)) {
            throw new CertificateRejectedException(RejectReason.MISSING_EXTENDED_KEY_USAGE,
                    who + ": extended key usage lacks serverAuth");
        }
    }

    /** Depth-first search from the leaf to any anchor of the bundle, by issuer name and key identifiers. */
    private static void assemble(List<X509Certificate> path, List<X509Certificate> pool, TrustBundle bundle,
            List<CandidatePath> out) {
        if (out.size() >= MAX_CANDIDATE_PATHS) {
            return;
        }
        X509Certificate current = path.get(path.size() - 1);
        for (X509Certificate anchor : bundle.anchors()) {
            if (issuedBy(current, anchor)) {
                out.add(new CandidatePath(List.copyOf(path), anchor));
            }
        }
        if (path.size() >= MAX_CHAIN_DEPTH) {
            return;
        }
        for (X509Certificate intermediate : pool) {
            if (!path.contains(intermediate) && !bundle.anchors().contains(intermediate)
                    && issuedBy(current, intermediate)) {
                path.add(intermediate);
                assemble(path, pool, bundle, out);
                path.remove(path.size() - 1);
            }
        }
    }

    private static boolean issuedBy(X509Certificate child, X509Certificate issuer) {
        if (!child.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
            return false;
        }
        byte[] authorityKeyId = authorityKeyId(child);
        byte[] subjectKeyId = subjectKeyId(issuer);
        return authorityKeyId == null || subjectKeyId == null || Arrays.equals(authorityKeyId, subjectKeyId);
    }

    private static void checkCrypto(CandidatePath candidate, String who) throws CertificateRejectedException {
        for (X509Certificate certificate : candidate.path) {
            String keyProblem = CryptoPolicy.keyProblem(certificate.getPublicKey());
            if (keyProblem != null) {
                throw new CertificateRejectedException(RejectReason.WEAK_KEY,
                        who + ": " + Certificates.describe(certificate) + " has a weak " + keyProblem);
            }
            String signatureProblem = CryptoPolicy.signatureProblem(certificate.getSigAlgOID(),
                    certificate.getSigAlgName());
            if (signatureProblem != null) {
                throw new CertificateRejectedException(RejectReason.WEAK_SIGNATURE,
                        who + ": " + Certificates.describe(certificate) + ": " + signatureProblem);
            }
        }
        String anchorKeyProblem = CryptoPolicy.keyProblem(candidate.anchor.getPublicKey());
        if (anchorKeyProblem != null) {
            throw new CertificateRejectedException(RejectReason.WEAK_KEY,
                    who + ": trust anchor " + Certificates.describe(candidate.anchor) + " has a weak " + anchorKeyProblem);
        }
    }

    /**
     * Issuer structure, checked before PKIX so the reason does not depend on the JDK's check order, and
     * the trust anchor's own path length, which PKIX implementations (the JDK's included) do not enforce.
     */
    private static void checkIssuers(CandidatePath candidate, String who) throws CertificateRejectedException {
        List<X509Certificate> path = candidate.path;
        for (int i = 1; i < path.size(); i++) {
            X509Certificate intermediate = path.get(i);
            if (!Certificates.isCa(intermediate)) {
                throw new CertificateRejectedException(RejectReason.ISSUER_NOT_CA, who + ": intermediate "
                        + Certificates.describe(intermediate) + " is used as an issuer but is not a CA");
            }
            boolean[] keyUsage = intermediate.getKeyUsage();
            if (keyUsage != null && (keyUsage.length <= KEY_CERT_SIGN || !keyUsage[KEY_CERT_SIGN])) {
                throw new CertificateRejectedException(RejectReason.KEY_USAGE, who + ": intermediate "
                        + Certificates.describe(intermediate) + " lacks keyCertSign");
            }
        }
        int anchorPathLength = candidate.anchor.getBasicConstraints();
        int intermediates = path.size() - 1;
        if (anchorPathLength >= 0 && anchorPathLength != Integer.MAX_VALUE && intermediates > anchorPathLength) {
            throw new CertificateRejectedException(RejectReason.PATH_LENGTH, who + ": " + intermediates
                    + " intermediate(s) below trust anchor " + Certificates.describe(candidate.anchor)
                    + ", whose path length allows " + anchorPathLength);
        }
    }

    /**
     * A trust domain counts only through its own bundle. When the anchor of this path is in the bundles of
     * several domains (one offline root over several cells), the anchor alone says nothing about the domain, so
     * some intermediate on the path must be name-constrained to exactly this domain's SPIFFE URI host (what
     * {@code gitward pki init-cell} writes); PKIX then enforces that constraint on the leaf. The alternative is to
     * pin each domain to its own intermediate as the anchor, which makes the anchor unshared.
     */
    private void checkDomainBinding(CandidatePath candidate, NodeIdentity identity, String who)
            throws CertificateRejectedException {
        java.util.Set<String> sharing = trust.domainsSharing(candidate.anchor);
        if (sharing.isEmpty()) {
            return;
        }
        String domain = identity.trustDomain().name();
        for (int i = 1; i < candidate.path.size(); i++) {
            List<String> permitted = permittedUriHosts(candidate.path.get(i));
            if (permitted != null && permitted.equals(List.of(domain))) {
                return;
            }
        }
        throw new CertificateRejectedException(RejectReason.FOREIGN_TRUST_DOMAIN, who + ": trust anchor "
                + Certificates.describe(candidate.anchor) + " is shared by trust domains " + sharing
                + " and no intermediate on the path is name-constrained to '" + domain + "', so nothing binds the"
                + " certificate to '" + domain + "' (issue cell CAs with: gitward pki init-cell, or pin the domain's"
                + " roots to its own intermediate certificate)");
    }

    /** The URI hosts of the permitted subtrees of a CA's name constraints; null when it has none for URIs. */
    static List<String> permittedUriHosts(X509Certificate ca) {
        byte[] extension = ca.getExtensionValue(Extension.nameConstraints.getId());
        if (extension == null) {
            return null;
        }
        try {
            NameConstraints constraints = NameConstraints.getInstance(ASN1OctetString.getInstance(extension).getOctets());
            GeneralSubtree[] subtrees = constraints.getPermittedSubtrees();
            if (subtrees == null) {
                return null;
            }
            List<String> hosts = new ArrayList<>();
            for (GeneralSubtree subtree : subtrees) {
                GeneralName base = subtree.getBase();
                if (base.getTagNo() == GeneralName.uniformResourceIdentifier) {
                    hosts.add(ASN1IA5String.getInstance(base.getName()).getString());
                }
            }
            return hosts.isEmpty() ? null : List.copyOf(hosts);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static void checkPkix(CandidatePath candidate, Instant at, String who) throws CertificateRejectedException {
        Date date = Date.from(at);
        if (candidate.anchor.getNotBefore().after(date)) {
            throw new CertificateRejectedException(RejectReason.NOT_YET_VALID, who + ": trust anchor "
                    + Certificates.describe(candidate.anchor) + " is not valid before "
                    + candidate.anchor.getNotBefore().toInstant());
        }
        if (candidate.anchor.getNotAfter().before(date)) {
            throw new CertificateRejectedException(RejectReason.EXPIRED, who + ": trust anchor "
                    + Certificates.describe(candidate.anchor) + " expired at " + candidate.anchor.getNotAfter().toInstant());
        }
        try {
            CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(candidate.path);
            PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(candidate.anchor, null)));
            parameters.setRevocationEnabled(false);
            parameters.setDate(date);
            CertPathValidator.getInstance("PKIX").validate(certPath, parameters);
        } catch (CertPathValidatorException e) {
            int index = e.getIndex();
            X509Certificate failing = index >= 0 && index < candidate.path.size() ? candidate.path.get(index)
                    : candidate.path.get(0);
            throw new CertificateRejectedException(reasonOf(e, failing, date),
                    who + ": " + Certificates.describe(failing) + ": " + describe(e, failing));
        } catch (GeneralSecurityException e) {
            throw new CertificateRejectedException(RejectReason.CHAIN_INVALID, who + ": chain cannot be validated ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    private static RejectReason reasonOf(CertPathValidatorException e, X509Certificate failing, Date date) {
        CertPathValidatorException.Reason reason = e.getReason();
        if (reason == CertPathValidatorException.BasicReason.EXPIRED) {
            return RejectReason.EXPIRED;
        }
        if (reason == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return RejectReason.NOT_YET_VALID;
        }
        if (reason == CertPathValidatorException.BasicReason.INVALID_SIGNATURE
                || reason == PKIXReason.NO_TRUST_ANCHOR || reason == PKIXReason.NAME_CHAINING) {
            return RejectReason.UNTRUSTED_ISSUER;
        }
        if (reason == CertPathValidatorException.BasicReason.ALGORITHM_CONSTRAINED) {
            return RejectReason.WEAK_SIGNATURE;
        }
        if (reason == PKIXReason.NOT_CA_CERT) {
            return RejectReason.ISSUER_NOT_CA;
        }
        if (reason == PKIXReason.PATH_TOO_LONG) {
            return RejectReason.PATH_LENGTH;
        }
        if (reason == PKIXReason.INVALID_KEY_USAGE) {
            return RejectReason.KEY_USAGE;
        }
        if (reason == PKIXReason.INVALID_NAME) {
            return RejectReason.NAME_CONSTRAINTS;
        }
        if (reason == PKIXReason.UNRECOGNIZED_CRIT_EXT) {
            return RejectReason.UNSUPPORTED_CRITICAL_EXTENSION;
        }
        // Older JDK code paths report validity as UNSPECIFIED; classify by the dates themselves.
        if (failing.getNotAfter().before(date)) {
            return RejectReason.EXPIRED;
        }
        if (failing.getNotBefore().after(date)) {
            return RejectReason.NOT_YET_VALID;
        }
        return RejectReason.CHAIN_INVALID;
    }

    private static String describe(CertPathValidatorException e, X509Certificate failing) {
        CertPathValidatorException.Reason reason = e.getReason();
        if (reason == CertPathValidatorException.BasicReason.EXPIRED) {
            return "expired at " + failing.getNotAfter().toInstant();
        }
        if (reason == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
            return "not valid before " + failing.getNotBefore().toInstant();
        }
        if (reason == CertPathValidatorException.BasicReason.INVALID_SIGNATURE) {
            return "signature does not verify with the trust bundle's key (look-alike issuer)";
        }
        if (reason == PKIXReason.NOT_CA_CERT) {
            return "is used as an issuer but is not a CA";
        }
        if (reason == PKIXReason.PATH_TOO_LONG) {
            return "path length constraint violated";
        }
        if (reason == PKIXReason.INVALID_NAME) {
            return "a name is outside the name constraints of an issuing CA (a CA of another cell cannot vouch for"
                    + " this trust domain): " + e.getMessage();
        }
        return String.valueOf(e.getMessage());
    }

    private static void checkRevocation(CandidatePath candidate, TrustBundle bundle, ValidationOptions options,
            String who, List<String> warnings) throws CertificateRejectedException {
        if (bundle.revocationPolicy() == RevocationPolicy.OFF) {
            return;
        }
        Instant at = options.at();
        List<X509Certificate> path = candidate.path;
        for (int i = 0; i < path.size(); i++) {
            X509Certificate certificate = path.get(i);
            X509Certificate issuer = i + 1 < path.size() ? path.get(i + 1) : candidate.anchor;
            Optional<X509CRL> found = bundle.crlIssuedBy(issuer);
            if (found.isEmpty()) {
                if (bundle.revocationPolicy() == RevocationPolicy.REQUIRE) {
                    throw new CertificateRejectedException(RejectReason.CRL_MISSING, who + ": no CRL signed by '"
                            + issuer.getSubjectX500Principal().getName() + "' in the trust bundle of '"
                            + bundle.trustDomain() + "' (revocation checking is required)");
                }
                continue;
            }
            X509CRL crl = found.get();
            String crlSignatureProblem = CryptoPolicy.signatureProblem(crl.getSigAlgOID(), crl.getSigAlgName());
            if (crlSignatureProblem != null) {
                throw new CertificateRejectedException(RejectReason.CRL_INVALID, who + ": CRL of '"
                        + issuer.getSubjectX500Principal().getName() + "': " + crlSignatureProblem);
            }
            if (crl.getThisUpdate().toInstant().isAfter(at.plus(CLOCK_SKEW))) {
                throw new CertificateRejectedException(RejectReason.CRL_INVALID, who + ": CRL of '"
                        + issuer.getSubjectX500Principal().getName() + "' is not valid before "
                        + crl.getThisUpdate().toInstant());
            }
            Date nextUpdate = crl.getNextUpdate();
            if (nextUpdate != null && at.isAfter(nextUpdate.toInstant())) {
                String stale = "CRL of '" + issuer.getSubjectX500Principal().getName() + "' is stale (next update was "
                        + nextUpdate.toInstant() + ")";
                if (options.staleCrlIsFatal()) {
                    throw new CertificateRejectedException(RejectReason.CRL_STALE, who + ": " + stale);
                }
                warnings.add(stale);
            }
            X509CRLEntry entry = crl.getRevokedCertificate(certificate);
            if (entry != null) {
                CRLReason reason = entry.getRevocationReason();
                String subject = i == 0 ? "certificate" : "intermediate " + Certificates.describe(certificate);
                throw new CertificateRejectedException(RejectReason.REVOKED, who + ": " + subject
                        + " was revoked at " + entry.getRevocationDate().toInstant()
                        + (reason == null ? "" : " (" + reason.name().toLowerCase(java.util.Locale.ROOT) + ")"));
            }
        }
    }

    private static byte[] authorityKeyId(X509Certificate certificate) {
        byte[] extension = certificate.getExtensionValue(Extension.authorityKeyIdentifier.getId());
        if (extension == null) {
            return null;
        }
        try {
            return AuthorityKeyIdentifier.getInstance(ASN1OctetString.getInstance(extension).getOctets())
                    .getKeyIdentifier();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static byte[] subjectKeyId(X509Certificate certificate) {
        byte[] extension = certificate.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (extension == null) {
            return null;
        }
        try {
            return SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(extension).getOctets())
                    .getKeyIdentifier();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private record CandidatePath(List<X509Certificate> path, X509Certificate anchor) {
    }
}
