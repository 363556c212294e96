package io.gitward.security.identity;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * Reads the {@link NodeIdentity} out of a leaf certificate: exactly one SPIFFE URI SAN, and a
 * subject ({@code CN=name, OU=role, O=trust-domain}) that must agree with it when present.
 * Stateless and thread-safe.
 */
public final class CertificateIdentities {
    private static final int URI_SAN_TYPE = 6;

    private CertificateIdentities() {
    }

    public static NodeIdentity identityOf(X509Certificate leaf, IdentityMode mode) throws InvalidIdentityException {
        List<String> spiffeIds = spiffeUris(leaf);
        SubjectIdentity subject = subjectIdentity(leaf);
        if (spiffeIds.size() > 1) {
            throw new InvalidIdentityException(IdentityProblem.MULTIPLE_SPIFFE_IDS,
                    "certificate has " + spiffeIds.size() + " SPIFFE URI SANs (expected exactly one)");
        }
        if (spiffeIds.isEmpty()) {
            if (mode == IdentityMode.SUBJECT_ONLY && subject != null) {
                return subject.toIdentity();
            }
            throw new InvalidIdentityException(IdentityProblem.NO_SPIFFE_ID,
                    "certificate has no SPIFFE URI SAN (expected spiffe://<trust-domain>/<role>/<name>)");
        }
        NodeIdentity identity = NodeIdentity.parseSpiffeId(spiffeIds.get(0));
        if (subject != null && !subject.agreesWith(identity)) {
            throw new InvalidIdentityException(IdentityProblem.SUBJECT_MISMATCH, "subject '" + subject.rendered
                    + "' does not agree with SPIFFE ID " + identity.spiffeId()
                    + " (expected CN=" + identity.name() + ", OU=" + identity.role() + ", O=" + identity.trustDomain()
                    + ")");
        }
        return identity;
    }

    /** Every URI SAN starting with {@code spiffe:} (any case), so look-alikes are counted, not ignored. */
    static List<String> spiffeUris(X509Certificate certificate) throws InvalidIdentityException {
        Collection<List<?>> names;
        try {
            names = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw new InvalidIdentityException(IdentityProblem.MALFORMED_SPIFFE_ID,
                    "subject alternative names cannot be parsed: " + e.getMessage());
        }
        List<String> result = new ArrayList<>();
        if (names == null) {
            return result;
        }
        for (List<?> entry : names) {
            if (entry.size() >= 2 && entry.get(0) instanceof Integer type && type == URI_SAN_TYPE
                    && entry.get(1) instanceof String uri && uri.regionMatches(true, 0, "spiffe:", 0, 7)) {
                result.add(uri);
            }
        }
        return result;
    }

    /** The CN/OU/O triple of the subject, or null when the subject names none of them. */
    private static SubjectIdentity subjectIdentity(X509Certificate certificate) throws InvalidIdentityException {
        X500Name subject = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
        String cn = null;
        String ou = null;
        String o = null;
        for (RDN rdn : subject.getRDNs()) {
            if (rdn.isMultiValued()) {
                throw new InvalidIdentityException(IdentityProblem.MALFORMED_SUBJECT,
                        "subject has a multi-valued RDN (expected one attribute per RDN)");
            }
            AttributeTypeAndValue attribute = rdn.getFirst();
            ASN1ObjectIdentifier type = attribute.getType();
            if (type.equals(BCStyle.CN)) {
                cn = single(cn, "CN", attribute.getValue());
            } else if (type.equals(BCStyle.OU)) {
                ou = single(ou, "OU", attribute.getValue());
            } else if (type.equals(BCStyle.O)) {
                o = single(o, "O", attribute.getValue());
            }
        }
        if (cn == null && ou == null && o == null) {
            return null;
        }
        return new SubjectIdentity(cn, ou, o, subject.toString());
    }

    private static String single(String existing, String attribute, ASN1Encodable value)
            throws InvalidIdentityException {
        if (existing != null) {
            throw new InvalidIdentityException(IdentityProblem.MALFORMED_SUBJECT,
                    "subject has more than one " + attribute + " (expected exactly one)");
        }
        if (!(value instanceof ASN1String string)) {
            throw new InvalidIdentityException(IdentityProblem.MALFORMED_SUBJECT,
                    "subject " + attribute + " is not a string");
        }
        String text = string.getString();
        if (Names.hasControlCharacter(text)) {
            throw new InvalidIdentityException(IdentityProblem.MALFORMED_SUBJECT,
                    "subject " + attribute + " '" + Names.printable(text) + "' contains a control character");
        }
        return text;
    }

    private record SubjectIdentity(String cn, String ou, String o, String rendered) {
        boolean agreesWith(NodeIdentity identity) {
            return identity.name().equals(cn) && identity.role().wireName().equals(ou)
                    && identity.trustDomain().name().equals(o);
        }

        NodeIdentity toIdentity() throws InvalidIdentityException {
            if (cn == null || ou == null || o == null) {
                throw new InvalidIdentityException(IdentityProblem.MALFORMED_SUBJECT, "subject '" + rendered
                        + "' lacks CN, OU or O (expected CN=<name>, OU=<role>, O=<trust-domain>)");
            }
            String domainProblem = TrustDomain.problemWith(o);
            if (domainProblem != null) {
                throw new InvalidIdentityException(IdentityProblem.INVALID_TRUST_DOMAIN, "subject: " + domainProblem);
            }
            Role role = Role.fromWireName(ou).orElseThrow(() -> new InvalidIdentityException(
                    IdentityProblem.UNKNOWN_ROLE, "subject OU '" + Names.printable(ou) + "' is not a role (expected one of: "
                    + Role.allWireNames() + ")"));
            String nameProblem = Names.nameProblem(cn);
            if (nameProblem != null) {
                throw new InvalidIdentityException(IdentityProblem.INVALID_NAME, "subject CN: " + nameProblem);
            }
            return new NodeIdentity(new TrustDomain(o), role, cn);
        }
    }
}
