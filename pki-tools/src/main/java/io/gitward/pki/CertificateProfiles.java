package io.gitward.pki;

import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.TrustDomain;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * The certificate shapes Gitward issues: root and intermediate CAs, node leaves (SPIFFE URI SAN +
 * matching subject, clientAuth + serverAuth, digitalSignature), CSRs and CRLs. Stateless.
 */
public final class CertificateProfiles {
    /** Leaves start a minute early so a peer whose clock is slightly behind accepts a fresh certificate. */
    static final long BACKDATE_SECONDS = 60;

    private static final SecureRandom RANDOM = new SecureRandom();

    private CertificateProfiles() {
    }

    /** A random positive 127-bit serial: unique without coordination between CA processes. */
    public static BigInteger newSerial() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        bytes[0] &= 0x7f;
        bytes[0] |= 0x40;
        return new BigInteger(1, bytes);
    }

    public static X500Name caSubject(TrustDomain trustDomain, String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, trustDomain.name())
                .addRDN(BCStyle.CN, commonName).build();
    }

    public static X500Name nodeSubject(NodeIdentity identity) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, identity.trustDomain().name())
                .addRDN(BCStyle.OU, identity.role().wireName()).addRDN(BCStyle.CN, identity.name()).build();
    }

    /** A self-signed root. {@code pathLength} 0 signs only leaves; 1 allows one intermediate. */
    public static X509Certificate selfSignedRoot(X500Name subject, KeyPair keyPair, KeyType keyType,
            Instant notBefore, Instant notAfter, int pathLength) throws PkiException {
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, newSerial(),
                    Date.from(notBefore), Date.from(notAfter), subject, keyPair.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(pathLength));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    utils.createSubjectKeyIdentifier(keyPair.getPublic()));
            return sign(builder, keyPair.getPrivate(), keyType);
        } catch (GeneralSecurityException | org.bouncycastle.cert.CertIOException e) {
            throw new PkiException("cannot build the root certificate: " + e.getMessage(), e);
        }
    }

    public static X509Certificate intermediate(X500Name subject, PublicKey publicKey, X509Certificate issuer,
            PrivateKey issuerKey, KeyType issuerKeyType, Instant notBefore, Instant notAfter) throws PkiException {
        return intermediate(subject, publicKey, issuer, issuerKey, issuerKeyType, notBefore, notAfter, null);
    }

    /**
     * An intermediate; with {@code cellDomain}, name-constrained (critical, RFC 5280) to URIs whose host is exactly
     * that trust domain, so it can vouch for {@code spiffe://cellDomain/...} and nothing else, even under a root
     * that several cells share.
     */
    public static X509Certificate intermediate(X500Name subject, PublicKey publicKey, X509Certificate issuer,
            PrivateKey issuerKey, KeyType issuerKeyType, Instant notBefore, Instant notAfter, TrustDomain cellDomain)
            throws PkiException {
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName(issuer), newSerial(),
                    Date.from(notBefore), Date.from(notAfter), subject, publicKey);
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(publicKey));
            builder.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(issuer));
            if (cellDomain != null) {
                GeneralSubtree permitted = new GeneralSubtree(new GeneralName(GeneralName.uniformResourceIdentifier,
                        cellDomain.name()));
                builder.addExtension(Extension.nameConstraints, true,
                        new NameConstraints(new GeneralSubtree[] {permitted}, null));
            }
            return sign(builder, issuerKey, issuerKeyType);
        } catch (GeneralSecurityException | org.bouncycastle.cert.CertIOException e) {
            throw new PkiException("cannot build the intermediate certificate: " + e.getMessage(), e);
        }
    }

    /** A node certificate for {@code identity}, valid for both TLS client and server use. */
    public static X509Certificate leaf(NodeIdentity identity, PublicKey publicKey, SubjectAltNames extraNames,
            X509Certificate issuer, PrivateKey issuerKey, KeyType issuerKeyType, Instant notBefore, Instant notAfter)
            throws PkiException {
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName(issuer), newSerial(),
                    Date.from(notBefore), Date.from(notAfter), nodeSubject(identity), publicKey);
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            builder.addExtension(Extension.subjectAlternativeName, false, subjectAltNames(identity, extraNames));
            builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(publicKey));
            builder.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(issuer));
            return sign(builder, issuerKey, issuerKeyType);
        } catch (GeneralSecurityException | org.bouncycastle.cert.CertIOException e) {
            throw new PkiException("cannot build the certificate for " + identity + ": " + e.getMessage(), e);
        }
    }

    /** A PKCS#10 request carrying the identity's subject and SANs, signed by the node's own key. */
    public static PKCS10CertificationRequest csr(NodeIdentity identity, KeyPair keyPair, KeyType keyType,
            SubjectAltNames extraNames) throws PkiException {
        try {
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            extensions.addExtension(Extension.subjectAlternativeName, false, subjectAltNames(identity, extraNames));
            JcaPKCS10CertificationRequestBuilder builder = new JcaPKCS10CertificationRequestBuilder(
                    nodeSubject(identity), keyPair.getPublic());
            builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
            return builder.build(signer(keyPair.getPrivate(), keyType));
        } catch (java.io.IOException e) {
            throw new PkiException("cannot build the certificate request: " + e.getMessage(), e);
        }
    }

    /** A CRL listing {@code revoked}, numbered {@code crlNumber}, valid from {@code thisUpdate} to {@code nextUpdate}. */
    public static X509CRL crl(X509Certificate issuer, PrivateKey issuerKey, KeyType issuerKeyType,
            List<RevokedSerial> revoked, long crlNumber, Instant thisUpdate, Instant nextUpdate) throws PkiException {
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v2CRLBuilder builder = new X509v2CRLBuilder(issuerName(issuer), Date.from(thisUpdate));
            builder.setNextUpdate(Date.from(nextUpdate));
            for (RevokedSerial entry : revoked) {
                builder.addCRLEntry(entry.serial(), Date.from(entry.revokedAt()), entry.reasonCode());
            }
            builder.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(crlNumber)));
            builder.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(issuer));
            X509CRLHolder holder = builder.build(signer(issuerKey, issuerKeyType));
            return new JcaX509CRLConverter().getCRL(holder);
        } catch (GeneralSecurityException | org.bouncycastle.cert.CertIOException e) {
            throw new PkiException("cannot build the CRL: " + e.getMessage(), e);
        }
    }

    private static GeneralNames subjectAltNames(NodeIdentity identity, SubjectAltNames extra) {
        List<GeneralName> names = new ArrayList<>();
        names.add(new GeneralName(GeneralName.uniformResourceIdentifier, identity.spiffeId()));
        for (String dns : extra.dnsNames()) {
            names.add(new GeneralName(GeneralName.dNSName, dns));
        }
        for (String ip : extra.ipAddresses()) {
            names.add(new GeneralName(GeneralName.iPAddress, ip));
        }
        return GeneralNames.getInstance(new DERSequence(names.toArray(new ASN1Encodable[0])));
    }

    private static X500Name issuerName(X509Certificate issuer) {
        return X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key, KeyType keyType)
            throws GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(builder.build(signer(key, keyType)));
    }

    private static ContentSigner signer(PrivateKey key, KeyType keyType) {
        try {
            return new JcaContentSignerBuilder(keyType.signatureAlgorithm()).build(key);
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("cannot sign with " + keyType, e);
        }
    }

    /** Reason names accepted by {@code pki revoke --reason}. */
    public static final List<String> REVOCATION_REASONS = List.of("unspecified", "key-compromise", "ca-compromise",
            "affiliation-changed", "superseded", "cessation-of-operation", "privilege-withdrawn");

    /** A serial to list in a CRL. */
    public record RevokedSerial(BigInteger serial, Instant revokedAt, int reasonCode) {
        public static int reasonCode(String reason) {
            return RevocationReasons.code(reason);
        }
    }

    /** RFC 5280 reason codes by the names operators type. */
    static final class RevocationReasons {
        private RevocationReasons() {
        }

        static int code(String reason) {
            if (reason == null) {
                return CRLReason.unspecified;
            }
            return switch (reason) {
                case "key-compromise" -> CRLReason.keyCompromise;
                case "ca-compromise" -> CRLReason.cACompromise;
                case "affiliation-changed" -> CRLReason.affiliationChanged;
                case "superseded" -> CRLReason.superseded;
                case "cessation-of-operation" -> CRLReason.cessationOfOperation;
                case "privilege-withdrawn" -> CRLReason.privilegeWithdrawn;
                default -> CRLReason.unspecified;
            };
        }
    }
}
