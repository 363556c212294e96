package io.gitward.pki;

import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.x509.CryptoPolicy;
import io.gitward.security.x509.Pem;
import io.gitward.security.x509.PemException;
import java.nio.file.Path;
import java.security.PublicKey;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;

/** A certificate request read from a file, checked before the CA signs it. */
public final class CsrRequest {
    private final PKCS10CertificationRequest request;
    private final Path source;

    private CsrRequest(PKCS10CertificationRequest request, Path source) {
        this.request = request;
        this.source = source;
    }

    public static CsrRequest read(Path file) throws PkiException {
        try {
            return new CsrRequest(Pem.readCsr(file), file);
        } catch (PemException e) {
            throw new PkiException("--csr " + e.getMessage(), e);
        }
    }

    public Path source() {
        return source;
    }

    public PublicKey publicKey() throws PkiException {
        try {
            return new JcaPEMKeyConverter().getPublicKey(request.getSubjectPublicKeyInfo());
        } catch (Exception e) {
            throw new PkiException("--csr " + source + ": its public key cannot be decoded (" + e.getClass().getSimpleName()
                    + ")");
        }
    }

    /**
     * Refuses a request with a bad signature (not made by the key it carries), a weak key, or one that asks
     * for an identity other than {@code identity}.
     */
    public void requireValidFor(NodeIdentity identity) throws PkiException {
        PublicKey key = publicKey();
        String keyProblem = CryptoPolicy.keyProblem(key);
        if (keyProblem != null) {
            throw new PkiException("--csr " + source + ": weak " + keyProblem + "; generate a new key with: gitward pki csr");
        }
        boolean signatureValid;
        try {
            signatureValid = request.isSignatureValid(new JcaContentVerifierProviderBuilder().build(key));
        } catch (Exception e) {
            signatureValid = false;
        }
        if (!signatureValid) {
            throw new PkiException("--csr " + source + ": signature does not verify with the request's own key"
                    + " (damaged or forged request); create a new one with: gitward pki csr");
        }
        String signatureProblem = CryptoPolicy.signatureProblem(request.getSignatureAlgorithm().getAlgorithm().getId(),
                request.getSignatureAlgorithm().getAlgorithm().getId());
        if (signatureProblem != null) {
            throw new PkiException("--csr " + source + ": " + signatureProblem);
        }
        requireSubjectAgrees(identity);
        requireSanAgrees(identity);
    }

    private void requireSubjectAgrees(NodeIdentity identity) throws PkiException {
        X500Name subject = request.getSubject();
        if (subject.getRDNs().length == 0) {
            return;
        }
        String cn = attribute(subject, BCStyle.CN);
        String ou = attribute(subject, BCStyle.OU);
        String o = attribute(subject, BCStyle.O);
        boolean agrees = (cn == null || cn.equals(identity.name())) && (ou == null || ou.equals(identity.role().wireName()))
                && (o == null || o.equals(identity.trustDomain().name()));
        if (!agrees) {
            throw new PkiException("--csr " + source + " asks for subject '" + subject + "' but --role/--name give "
                    + identity.spiffeId() + "; sign it for the identity it names, or create a matching request");
        }
    }

    private void requireSanAgrees(NodeIdentity identity) throws PkiException {
        for (Attribute attribute : request.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
            for (ASN1Encodable value : attribute.getAttributeValues()) {
                Extensions extensions = Extensions.getInstance(value);
                GeneralNames names = GeneralNames.fromExtensions(extensions, Extension.subjectAlternativeName);
                if (names == null) {
                    continue;
                }
                for (GeneralName name : names.getNames()) {
                    if (name.getTagNo() == GeneralName.uniformResourceIdentifier) {
                        String uri = name.getName().toString();
                        if (uri.regionMatches(true, 0, "spiffe:", 0, 7) && !uri.equals(identity.spiffeId())) {
                            throw new PkiException("--csr " + source + " asks for " + uri + " but --role/--name give "
                                    + identity.spiffeId() + "; sign it for the identity it names, or create a matching request");
                        }
                    }
                }
            }
        }
    }

    private static String attribute(X500Name name, org.bouncycastle.asn1.ASN1ObjectIdentifier type) {
        RDN[] rdns = name.getRDNs(type);
        return rdns.length == 0 ? null : IETFUtils.valueToString(rdns[0].getFirst().getValue());
    }
}
