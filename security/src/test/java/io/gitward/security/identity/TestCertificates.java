package io.gitward.security.identity;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Self-signed certificates with arbitrary subjects and URI SANs, to exercise the identity reader. */
final class TestCertificates {
    private TestCertificates() {
    }

    static X509Certificate with(String subject, List<String> uriSans) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = generator.generateKeyPair();
        X500Name name = new X500Name(subject);
        Instant now = Instant.now();
        // An empty subject (SPIFFE SVID style) still needs a non-empty issuer name.
        X500Name issuer = subject.isEmpty() ? new X500Name("CN=test issuer") : name;
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, BigInteger.TEN, Date.from(now),
                Date.from(now.plusSeconds(3600)), name, keys.getPublic());
        if (!uriSans.isEmpty()) {
            GeneralName[] names = uriSans.stream().map(uri -> new GeneralName(GeneralName.uniformResourceIdentifier, uri))
                    .toArray(GeneralName[]::new);
            builder.addExtension(Extension.subjectAlternativeName, subject.isEmpty(), new GeneralNames(names));
        }
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    }
}
