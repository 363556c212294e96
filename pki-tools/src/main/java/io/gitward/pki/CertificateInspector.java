package io.gitward.pki;

import io.gitward.security.identity.CertificateIdentities;
import io.gitward.security.identity.IdentityMode;
import io.gitward.security.identity.InvalidIdentityException;
import io.gitward.security.x509.Certificates;
import io.gitward.security.x509.CryptoPolicy;
import io.gitward.security.x509.Pem;
import io.gitward.security.x509.PemException;
import io.gitward.security.x509.TrustBundle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/** Describes certificates and CRLs for {@code pki inspect}: the facts an operator checks, never key material. */
public final class CertificateInspector {
    private static final String[] KEY_USAGE_NAMES = {"digitalSignature", "nonRepudiation", "keyEncipherment",
        "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"};

    private CertificateInspector() {
    }

    /** What a PEM file holds. Exactly one of the lists is non-empty. */
    public record Report(String file, List<CertificateFacts> certificates, List<CrlFacts> crls) {
    }

    /** One certificate; {@code identity} is null and {@code identityProblem} set when it is not a valid node identity. */
    public record CertificateFacts(String subject, String issuer, String serial, String notBefore, String notAfter,
            String sha256, String key, String signatureAlgorithm, boolean ca, Integer pathLength, List<String> keyUsage,
            List<String> extendedKeyUsage, List<String> uriSans, List<String> dnsSans, List<String> ipSans,
            String identity, String identityProblem) {
    }

    public record CrlFacts(String issuer, String crlNumber, String thisUpdate, String nextUpdate,
            String signatureAlgorithm, List<RevokedFacts> revoked) {
    }

    public record RevokedFacts(String serial, String revokedAt, String reason) {
    }

    public static Report inspect(Path file) throws PkiException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new PkiException(file + ": cannot be read (" + e.getClass().getSimpleName() + ")");
        }
        try {
            if (text.contains("PRIVATE KEY-----")) {
                throw new PkiException(file + ": holds a private key; inspect never reads keys (inspect the certificate)");
            }
            if (text.contains("-----BEGIN X509 CRL-----")) {
                List<CrlFacts> crls = new ArrayList<>();
                for (X509CRL crl : Pem.readCrls(file)) {
                    crls.add(crlFacts(crl));
                }
                return new Report(file.toString(), List.of(), crls);
            }
            List<CertificateFacts> certificates = new ArrayList<>();
            for (X509Certificate certificate : Pem.readCertificatesRequired(file)) {
                certificates.add(facts(certificate));
            }
            return new Report(file.toString(), certificates, List.of());
        } catch (PemException e) {
            throw new PkiException(e.getMessage(), e);
        }
    }

    public static CertificateFacts facts(X509Certificate certificate) {
        List<String> uris = new ArrayList<>();
        List<String> dns = new ArrayList<>();
        List<String> ips = new ArrayList<>();
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> name : names) {
                    int type = (Integer) name.get(0);
                    String value = String.valueOf(name.get(1));
                    switch (type) {
                        case 6 -> uris.add(value);
                        case 2 -> dns.add(value);
                        case 7 -> ips.add(value);
                        default -> { }
                    }
                }
            }
        } catch (CertificateParsingException e) {
            uris.add("(unparsable: " + e.getMessage() + ")");
        }
        String identity = null;
        String problem = null;
        if (!Certificates.isCa(certificate)) {
            try {
                identity = CertificateIdentities.identityOf(certificate, IdentityMode.URI_SAN).spiffeId();
            } catch (InvalidIdentityException e) {
                problem = e.problem().code() + ": " + e.getMessage();
            }
        }
        List<String> keyUsage = new ArrayList<>();
        boolean[] bits = certificate.getKeyUsage();
        if (bits != null) {
            for (int i = 0; i < bits.length && i < KEY_USAGE_NAMES.length; i++) {
                if (bits[i]) {
                    keyUsage.add(KEY_USAGE_NAMES[i]);
                }
            }
        }
        List<String> extendedKeyUsage = new ArrayList<>();
        try {
            List<String> oids = certificate.getExtendedKeyUsage();
            if (oids != null) {
                for (String oid : oids) {
                    extendedKeyUsage.add(switch (oid) {
                        case Certificates.OID_SERVER_AUTH -> "serverAuth";
                        case Certificates.OID_CLIENT_AUTH -> "clientAuth";
                        default -> oid;
                    });
                }
            }
        } catch (CertificateParsingException e) {
            extendedKeyUsage.add("(unparsable)");
        }
        int constraint = certificate.getBasicConstraints();
        Integer pathLength = constraint >= 0 && constraint != Integer.MAX_VALUE ? constraint : null;
        return new CertificateFacts(certificate.getSubjectX500Principal().getName(),
                certificate.getIssuerX500Principal().getName(), Certificates.serialHex(certificate),
                certificate.getNotBefore().toInstant().toString(), certificate.getNotAfter().toInstant().toString(),
                Certificates.sha256(certificate), CryptoPolicy.keyDescription(certificate.getPublicKey()),
                certificate.getSigAlgName(), Certificates.isCa(certificate), pathLength, keyUsage, extendedKeyUsage, uris,
                dns, ips, identity, problem);
    }

    private static CrlFacts crlFacts(X509CRL crl) {
        List<RevokedFacts> revoked = new ArrayList<>();
        if (crl.getRevokedCertificates() != null) {
            for (X509CRLEntry entry : crl.getRevokedCertificates()) {
                revoked.add(new RevokedFacts(Certificates.serialHex(entry.getSerialNumber()),
                        entry.getRevocationDate().toInstant().toString(), entry.getRevocationReason() == null ? null
                        : entry.getRevocationReason().name().toLowerCase(Locale.ROOT)));
            }
        }
        return new CrlFacts(crl.getIssuerX500Principal().getName(), TrustBundle.crlNumber(crl).toString(),
                crl.getThisUpdate().toInstant().toString(),
                crl.getNextUpdate() == null ? null : crl.getNextUpdate().toInstant().toString(), crl.getSigAlgName(), revoked);
    }

    /** Plain-text rendering, one "field: value" per line. */
    public static String render(Report report) {
        StringBuilder out = new StringBuilder();
        for (CertificateFacts facts : report.certificates()) {
            if (out.length() > 0) {
                out.append('\n');
            }
            line(out, "subject", facts.subject());
            line(out, "issuer", facts.issuer());
            line(out, "serial", facts.serial());
            line(out, "not before", facts.notBefore());
            line(out, "not after", facts.notAfter());
            line(out, "sha256", facts.sha256());
            line(out, "key", facts.key());
            line(out, "signature", facts.signatureAlgorithm());
            line(out, "ca", facts.ca() ? "yes" + (facts.pathLength() == null ? "" : " (path length " + facts.pathLength() + ")")
                    : "no");
            line(out, "key usage", String.join(", ", facts.keyUsage()));
            line(out, "extended key usage", String.join(", ", facts.extendedKeyUsage()));
            line(out, "uri sans", String.join(", ", facts.uriSans()));
            line(out, "dns sans", String.join(", ", facts.dnsSans()));
            line(out, "ip sans", String.join(", ", facts.ipSans()));
            if (!facts.ca()) {
                line(out, "identity", facts.identity() != null ? facts.identity() : "invalid: " + facts.identityProblem());
            }
        }
        for (CrlFacts crl : report.crls()) {
            if (out.length() > 0) {
                out.append('\n');
            }
            line(out, "crl issuer", crl.issuer());
            line(out, "crl number", crl.crlNumber());
            line(out, "this update", crl.thisUpdate());
            line(out, "next update", crl.nextUpdate());
            line(out, "signature", crl.signatureAlgorithm());
            line(out, "revoked", String.valueOf(crl.revoked().size()));
            for (RevokedFacts entry : crl.revoked()) {
                line(out, "  serial " + entry.serial(), entry.revokedAt() + (entry.reason() == null ? "" : " " + entry.reason()));
            }
        }
        return out.toString();
    }

    private static void line(StringBuilder out, String field, String value) {
        out.append(field).append(": ").append(value == null || value.isEmpty() ? "-" : value).append('\n');
    }
}
