package io.gitward.security.testing;

import io.gitward.security.identity.NodeIdentity;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A tiny certificate authority for unit tests of the {@code security} module (pki-tools is not one of its
 * dependencies): EC P-256 keys, SHA-256 signatures, certificates and CRLs shaped by each test, including the
 * defective ones a real CA would refuse to issue.
 */
public final class TestPki {
    /** keyCertSign + cRLSign, what a CA certificate carries. */
    public static final int CA_KEY_USAGE = KeyUsage.keyCertSign | KeyUsage.cRLSign;
    private static final AtomicLong SERIALS = new AtomicLong(0x1000);

    private TestPki() {
    }

    /** A certificate and the key pair whose public half it certifies. */
    public record Issued(X509Certificate certificate, KeyPair keys) {
    }

    public static KeyPair ecKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("EC P-256 is missing from this JVM", e);
        }
    }

    /** A self-signed CA without a path length constraint, valid from an hour ago for a day. */
    public static Issued root(String commonName) {
        return certificate("CN=" + commonName).ca().build();
    }

    /** A CA certificate issued by {@code issuer}. */
    public static Issued intermediate(Issued issuer, String commonName) {
        return certificate("CN=" + commonName).issuedBy(issuer).ca().build();
    }

    /** A leaf for {@code identity} (SPIFFE URI SAN, agreeing subject, clientAuth + serverAuth) issued by {@code issuer}. */
    public static Issued leaf(Issued issuer, NodeIdentity identity) {
        return certificate(identity.subjectDn()).issuedBy(issuer).identity(identity).build();
    }

    public static Builder certificate(String subject) {
        return new Builder(subject);
    }

    /**
     * A CRL signed by {@code issuer}.
     *
     * @param nextUpdate null for a CRL without next-update
     */
    public static X509CRL crl(Issued issuer, Instant thisUpdate, Instant nextUpdate, long number, X509Certificate... revoked) {
        X509v2CRLBuilder builder = new JcaX509v2CRLBuilder(issuer.certificate(), Date.from(thisUpdate));
        if (nextUpdate != null) {
            builder.setNextUpdate(Date.from(nextUpdate));
        }
        for (X509Certificate certificate : revoked) {
            builder.addCRLEntry(certificate.getSerialNumber(), Date.from(thisUpdate), CRLReason.keyCompromise);
        }
        try {
            builder.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(number)));
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(issuer.keys().getPublic()));
            return new JcaX509CRLConverter().getCRL(builder.build(signer(issuer.keys())));
        } catch (CertIOException | GeneralSecurityException e) {
            throw new IllegalStateException("test CRL cannot be built", e);
        }
    }

    /** A fresh CRL of {@code issuer} (this update an hour ago, next update in a day) revoking {@code revoked}. */
    public static X509CRL freshCrl(Issued issuer, X509Certificate... revoked) {
        Instant now = Instant.now();
        return crl(issuer, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)), 1, revoked);
    }

    private static ContentSigner signer(KeyPair keys) {
        try {
            return new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate());
        } catch (OperatorCreationException e) {
            throw new IllegalStateException("SHA256withECDSA is missing from this JVM", e);
        }
    }

    /** Shapes one certificate; anything not set is left out of it. */
    public static final class Builder {
        private final X500Name subject;
        private Issued issuer;
        private BasicConstraints basicConstraints;
        private Integer keyUsage;
        private NodeIdentity identity;
        private Instant notBefore = Instant.now().minus(Duration.ofHours(1));
        private Instant notAfter = Instant.now().plus(Duration.ofDays(1));

        private Builder(String subject) {
            this.subject = new X500Name(subject);
        }

        /** Signed by {@code issuer}; without it the certificate is self-signed. */
        public Builder issuedBy(Issued issuer) {
            this.issuer = issuer;
            return this;
        }

        /** CA:TRUE without a path length constraint, keyCertSign + cRLSign. */
        public Builder ca() {
            this.basicConstraints = new BasicConstraints(true);
            this.keyUsage = CA_KEY_USAGE;
            return this;
        }

        /** CA:TRUE with {@code pathLength}, keyCertSign + cRLSign. */
        public Builder ca(int pathLength) {
            this.basicConstraints = new BasicConstraints(pathLength);
            this.keyUsage = CA_KEY_USAGE;
            return this;
        }

        /** basicConstraints CA:FALSE (an end entity), whatever the key usage says. */
        public Builder notCa() {
            this.basicConstraints = new BasicConstraints(false);
            return this;
        }

        /** Key usage bits of {@link KeyUsage}, replacing any set before. */
        public Builder keyUsage(int bits) {
            this.keyUsage = bits;
            return this;
        }

        /** No key usage extension at all (any usage). */
        public Builder withoutKeyUsage() {
            this.keyUsage = null;
            return this;
        }

        /** A leaf profile: the identity's SPIFFE URI SAN, clientAuth + serverAuth, digitalSignature. */
        public Builder identity(NodeIdentity identity) {
            this.identity = identity;
            this.keyUsage = KeyUsage.digitalSignature;
            return this;
        }

        public Builder validity(Instant notBefore, Instant notAfter) {
            this.notBefore = notBefore;
            this.notAfter = notAfter;
            return this;
        }

        public Issued build() {
            KeyPair keys = ecKeyPair();
            X500Name issuerName = issuer == null ? subject
                    : X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded());
            KeyPair signing = issuer == null ? keys : issuer.keys();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName,
                    BigInteger.valueOf(SERIALS.incrementAndGet()), Date.from(notBefore), Date.from(notAfter), subject,
                    keys.getPublic());
            try {
                JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
                builder.addExtension(Extension.subjectKeyIdentifier, false,
                        utils.createSubjectKeyIdentifier(keys.getPublic()));
                builder.addExtension(Extension.authorityKeyIdentifier, false,
                        utils.createAuthorityKeyIdentifier(signing.getPublic()));
                if (basicConstraints != null) {
                    builder.addExtension(Extension.basicConstraints, true, basicConstraints);
                }
                if (keyUsage != null) {
                    builder.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
                }
                if (identity != null) {
                    builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
                            new GeneralName(GeneralName.uniformResourceIdentifier, identity.spiffeId())));
                    builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                            new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth}));
                }
                X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                        builder.build(signer(signing)));
                return new Issued(certificate, keys);
            } catch (CertIOException | GeneralSecurityException e) {
                throw new IllegalStateException("test certificate cannot be built", e);
            }
        }
    }
}
