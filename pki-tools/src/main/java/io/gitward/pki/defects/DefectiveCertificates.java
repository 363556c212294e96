package io.gitward.pki.defects;

import static java.util.Objects.requireNonNull;

import io.gitward.pki.CaLayout;
import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.KeyFiles;
import io.gitward.pki.KeyType;
import io.gitward.pki.PkiException;
import io.gitward.pki.SubjectAltNames;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.x509.Pem;
import io.gitward.security.x509.PemException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Makes client certificates with exactly one deliberate defect, signed where the defect needs it by the
 * real CA's keys, so suites can prove that every kind is refused. For test suites and drills only: it
 * reads the CA's (unencrypted) keys from disk and never writes into the CA directory, except for
 * {@link Defect#REVOKED}, which goes through the CA's own issue and revoke.
 */
public final class DefectiveCertificates {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration DAY = Duration.ofDays(1);

    /** A client key and the chain (leaf first) it presents. */
    public record Forged(Defect defect, PrivateKey key, List<X509Certificate> chain) {
    }

    private final CertificateAuthority ca;
    private final TrustDomain trustDomain;
    private final TrustDomain otherDomain;
    private final X509Certificate root;
    private final PrivateKey rootKey;

    /**
     * @param otherDomain a second trust domain the nodes under test trust with its own bundle; a certificate
     *                    claiming it but signed by this CA must be refused
     */
    public DefectiveCertificates(CertificateAuthority ca, TrustDomain otherDomain) throws PkiException {
        this.ca = requireNonNull(ca, "ca");
        this.trustDomain = ca.trustDomain();
        this.otherDomain = requireNonNull(otherDomain, "otherDomain");
        this.root = ca.rootCertificate();
        this.rootKey = KeyFiles.read(ca.layout().rootKey(), null);
    }

    /** A leaf for {@code client/name} with {@code defect}. */
    public Forged forge(Defect defect, String name) throws PkiException {
        try {
            return switch (defect) {
                case REVOKED -> revoked(name);
                default -> build(defect, name);
            };
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new PkiException("cannot forge " + defect.tableName() + ": " + e.getMessage(), e);
        }
    }

    private Forged revoked(String name) throws PkiException {
        ca.issue(new CertificateAuthority.LeafRequest(Role.CLIENT, name, Duration.ofHours(24), KeyType.EC_P256,
                SubjectAltNames.LOCAL));
        ca.revokeIdentity(Role.CLIENT, name, "key-compromise");
        java.nio.file.Path dir = ca.layout().nodeDir(Role.CLIENT, name);
        try {
            return new Forged(Defect.REVOKED, Pem.readPrivateKey(CaLayout.key(dir), null),
                    Pem.readCertificatesRequired(CaLayout.chain(dir)));
        } catch (PemException e) {
            throw new PkiException(e.getMessage(), e);
        }
    }

    /** The parts a forged leaf is made of; each defect changes one. */
    private final class Leaf {
        String domain = trustDomain.name();
        String role = "client";
        String name;
        X500Name subject;
        List<GeneralName> sans = new ArrayList<>();
        List<KeyPurposeId> eku = new ArrayList<>(List.of(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth));
        int keyUsage = KeyUsage.digitalSignature;
        boolean ca;
        boolean withAuthorityKeyId = true;
        boolean criticalUnknownExtension;
        Instant notBefore = Instant.now().minusSeconds(60);
        Instant notAfter = Instant.now().plus(DAY);
        KeyPair keys = ecKeys();
        String signatureAlgorithm;
        X509Certificate issuer = root;
        PrivateKey issuerKey = rootKey;
        List<X509Certificate> extraChain = new ArrayList<>();

        Leaf(String name) {
            this.name = name;
        }

        void standardNames() {
            subject = new X500Name("O=" + domain + ",OU=" + role + ",CN=" + name);
            sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://" + domain + "/" + role + "/" + name));
        }
    }

    private Forged build(Defect defect, String name) throws GeneralSecurityException, java.io.IOException {
        Leaf leaf = new Leaf(name);
        boolean namesSet = false;
        switch (defect) {
            case EXPIRED -> {
                leaf.notBefore = Instant.now().minus(DAY.multipliedBy(2));
                leaf.notAfter = Instant.now().minus(DAY);
            }
            case NOT_YET_VALID -> {
                leaf.notBefore = Instant.now().plus(DAY);
                leaf.notAfter = Instant.now().plus(DAY.multipliedBy(2));
            }
            case WRONG_CA -> {
                KeyPair other = ecKeys();
                leaf.issuer = selfSignedCa(new X500Name("O=" + trustDomain + ",CN=Not The Gitward Root"), other, 0);
                leaf.issuerKey = other.getPrivate();
            }
            case SELF_SIGNED -> {
                leaf.standardNames();
                namesSet = true;
                leaf.issuer = null;
            }
            case LOOK_ALIKE_CA -> {
                KeyPair other = ecKeys();
                leaf.issuer = selfSignedCa(X500Name.getInstance(root.getSubjectX500Principal().getEncoded()), other, 0);
                leaf.issuerKey = other.getPrivate();
                leaf.withAuthorityKeyId = false;
            }
            case UNKNOWN_ROLE -> leaf.role = "wizard";
            case NO_SPIFFE_SAN -> {
                leaf.standardNames();
                leaf.sans.clear();
                leaf.sans.add(new GeneralName(GeneralName.dNSName, "localhost"));
                namesSet = true;
            }
            case TWO_SPIFFE_SANS -> {
                leaf.standardNames();
                leaf.sans.add(new GeneralName(GeneralName.uniformResourceIdentifier,
                        "spiffe://" + trustDomain + "/admin/" + name));
                namesSet = true;
            }
            case SAN_SUBJECT_MISMATCH -> {
                leaf.standardNames();
                leaf.subject = new X500Name("O=" + trustDomain + ",OU=admin,CN=" + name);
                namesSet = true;
            }
            case MALFORMED_SPIFFE_PATH -> {
                leaf.subject = new X500Name("O=" + trustDomain + ",OU=client,CN=" + name);
                leaf.sans.add(new GeneralName(GeneralName.uniformResourceIdentifier,
                        "spiffe://" + trustDomain + "/client/" + name + "/extra"));
                namesSet = true;
            }
            case PERCENT_ENCODED_SPIFFE_ID -> {
                leaf.subject = new X500Name("O=" + trustDomain + ",OU=client,CN=" + name);
                leaf.sans.add(new GeneralName(GeneralName.uniformResourceIdentifier,
                        "spiffe://" + trustDomain + "/client/" + name.substring(0, 1) + "%" + String.format("%02x",
                                (int) name.charAt(1)) + name.substring(2)));
                namesSet = true;
            }
            case UPPERCASE_TRUST_DOMAIN -> leaf.domain = trustDomain.name().toUpperCase(java.util.Locale.ROOT);
            case MISSING_CLIENT_AUTH_EKU -> leaf.eku = new ArrayList<>(List.of(KeyPurposeId.id_kp_serverAuth));
            case NO_EKU -> leaf.eku = null;
            case CA_TRUE_LEAF -> {
                leaf.ca = true;
                leaf.keyUsage = KeyUsage.digitalSignature | KeyUsage.keyCertSign;
            }
            case NO_DIGITAL_SIGNATURE -> leaf.keyUsage = KeyUsage.keyAgreement;
            case NON_CA_INTERMEDIATE -> intermediates(leaf, false, false, 1);
            case PATH_LENGTH_VIOLATION -> intermediates(leaf, true, false, Math.max(0, root.getBasicConstraints()) + 2);
            case RSA_1024 -> {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(1024);
                leaf.keys = generator.generateKeyPair();
            }
            case SHA1_SIGNATURE -> leaf.signatureAlgorithm = rootKey instanceof ECKey ? "SHA1withECDSA" : "SHA1withRSA";
            case FOREIGN_TRUST_DOMAIN -> {
                KeyPair other = ecKeys();
                leaf.domain = "foreign.invalid";
                leaf.issuer = selfSignedCa(new X500Name("O=foreign.invalid,CN=Foreign Root"), other, 0);
                leaf.issuerKey = other.getPrivate();
            }
            case CROSS_DOMAIN_BINDING -> leaf.domain = otherDomain.name();
            case UNSUPPORTED_CRITICAL_EXTENSION -> leaf.criticalUnknownExtension = true;
            case MISSING_INTERMEDIATE -> {
                intermediates(leaf, true, false, 1);
                leaf.extraChain.clear();
            }
            case EXPIRED_INTERMEDIATE -> intermediates(leaf, true, true, 1);
            case MULTI_VALUED_RDN -> {
                leaf.subject = new X500Name("O=" + trustDomain + ",OU=client+CN=" + name);
                leaf.sans.add(new GeneralName(GeneralName.uniformResourceIdentifier,
                        "spiffe://" + trustDomain + "/client/" + name));
                namesSet = true;
            }
            default -> throw new IllegalArgumentException("no recipe for " + defect);
        }
        if (!namesSet) {
            leaf.standardNames();
        }
        X509Certificate certificate = sign(leaf);
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(certificate);
        chain.addAll(leaf.extraChain);
        return new Forged(defect, leaf.keys.getPrivate(), chain);
    }

    /** Puts {@code count} intermediates between the root and the leaf (all sent in the chain). */
    private void intermediates(Leaf leaf, boolean isCa, boolean expired, int count) throws GeneralSecurityException,
            java.io.IOException {
        X509Certificate issuer = root;
        PrivateKey issuerKey = rootKey;
        List<X509Certificate> chain = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            KeyPair keys = ecKeys();
            X500Name subject = new X500Name("O=" + trustDomain + ",CN=Forged Intermediate " + i + " " + hex());
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            Instant notBefore = expired ? Instant.now().minus(DAY.multipliedBy(3)) : Instant.now().minusSeconds(120);
            Instant notAfter = expired ? Instant.now().minus(DAY) : Instant.now().plus(DAY.multipliedBy(2));
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()), serial(), Date.from(notBefore),
                    Date.from(notAfter), subject, keys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, isCa ? new BasicConstraints(true)
                    : new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(isCa ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                    : KeyUsage.digitalSignature));
            builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(keys.getPublic()));
            builder.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(issuer));
            X509Certificate intermediate = convert(builder, issuerKey, defaultAlgorithm(issuerKey));
            chain.add(0, intermediate);
            issuer = intermediate;
            issuerKey = keys.getPrivate();
        }
        leaf.issuer = issuer;
        leaf.issuerKey = issuerKey;
        leaf.extraChain = chain;
    }

    private X509Certificate sign(Leaf leaf) throws GeneralSecurityException, java.io.IOException {
        JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
        X500Name issuerName = leaf.issuer == null ? leaf.subject
                : X500Name.getInstance(leaf.issuer.getSubjectX500Principal().getEncoded());
        PrivateKey signingKey = leaf.issuer == null ? leaf.keys.getPrivate() : leaf.issuerKey;
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName, serial(), Date.from(leaf.notBefore),
                Date.from(leaf.notAfter), leaf.subject, leaf.keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(leaf.ca));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(leaf.keyUsage));
        if (leaf.eku != null) {
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    leaf.eku.toArray(new KeyPurposeId[0])));
        }
        if (!leaf.sans.isEmpty()) {
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(leaf.sans.toArray(new GeneralName[0])));
        }
        builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(leaf.keys.getPublic()));
        if (leaf.issuer != null && leaf.withAuthorityKeyId) {
            builder.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(leaf.issuer));
        }
        if (leaf.criticalUnknownExtension) {
            builder.addExtension(new ASN1ObjectIdentifier("1.3.6.1.4.1.55555.1.1"), true, new DEROctetString(new byte[] {1}));
        }
        String algorithm = leaf.signatureAlgorithm != null ? leaf.signatureAlgorithm : defaultAlgorithm(signingKey);
        return convert(builder, signingKey, algorithm);
    }

    private static X509Certificate selfSignedCa(X500Name subject, KeyPair keys, int pathLength)
            throws GeneralSecurityException, java.io.IOException {
        JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(),
                Date.from(Instant.now().minusSeconds(3600)), Date.from(Instant.now().plus(DAY.multipliedBy(30))), subject,
                keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(pathLength));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(keys.getPublic()));
        return convert(builder, keys.getPrivate(), "SHA256withECDSA");
    }

    private static X509Certificate convert(X509v3CertificateBuilder builder, PrivateKey key, String algorithm)
            throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(algorithm).build(key)));
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign with " + algorithm, e);
        }
    }

    private static String defaultAlgorithm(PrivateKey key) {
        if (key instanceof ECKey) {
            return "SHA256withECDSA";
        }
        if (key instanceof java.security.interfaces.RSAKey) {
            return "SHA256withRSA";
        }
        return "Ed25519";
    }

    private static KeyPair ecKeys() {
        return KeyType.EC_P256.generate();
    }

    private static BigInteger serial() {
        return new BigInteger(126, RANDOM).setBit(125);
    }

    private static String hex() {
        return Long.toHexString(RANDOM.nextLong() & 0xffffffL);
    }
}
