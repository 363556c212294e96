package io.gitward.pki.cli;

import io.gitward.pki.CaLayout;
import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.PkiException;
import io.gitward.security.identity.CertificateIdentities;
import io.gitward.security.identity.IdentityMode;
import io.gitward.security.identity.InvalidIdentityException;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.x509.CertificateRejectedException;
import io.gitward.security.x509.Certificates;
import io.gitward.security.x509.PeerCertificateValidator;
import io.gitward.security.x509.Pem;
import io.gitward.security.x509.PemException;
import io.gitward.security.x509.Purpose;
import io.gitward.security.x509.RejectReason;
import io.gitward.security.x509.RevocationPolicy;
import io.gitward.security.x509.TrustBundles;
import io.gitward.security.x509.TrustMaterial;
import io.gitward.security.x509.ValidatedPeer;
import io.gitward.security.x509.ValidationOptions;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Validates a certificate with the same code the nodes run at handshake time
 * ({@link PeerCertificateValidator}). Exit 0 valid, 1 invalid (the reason is printed), 2 usage.
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Check a node certificate the way a Gitward node would; exit 0 valid, 1 invalid.")
final class VerifyCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Trust trust;

    static final class Trust {
        @Option(names = "--dir", paramLabel = "DIR", description = "A Gitward CA: trust its roots.pem and crl.pem.")
        Path dir;

        @Option(names = "--ca", paramLabel = "BUNDLE", description = "PEM file of trusted root certificates.")
        Path ca;
    }

    @Option(names = "--crl", paramLabel = "FILE",
            description = "CRL file (repeatable); with --ca, revocation is checked only when given.")
    List<Path> crls = new ArrayList<>();

    @Option(names = "--untrusted", paramLabel = "FILE", description = "File of intermediate certificates (repeatable).")
    List<Path> untrusted = new ArrayList<>();

    @Option(names = "--trust-domain", paramLabel = "TD", description = "With --ca: the trust domain the bundle vouches for "
            + "(default: the one the certificate claims).")
    String trustDomain;

    @Option(names = "--role", paramLabel = "ROLE", description = "Also require this role.")
    String role;

    @Option(names = "--at", paramLabel = "ISO-8601", description = "Validate at this instant (e.g. 2030-01-01T00:00:00Z).")
    String at;

    @Option(names = "--purpose", defaultValue = "node", paramLabel = "PURPOSE",
            description = "node (clientAuth and serverAuth, default), client or server.")
    String purpose;

    @Option(names = "--allow-stale-crl", description = "Warn instead of failing when a CRL is past its next-update.")
    boolean allowStaleCrl;

    @Option(names = "--subject-only", description = "Read the identity from the subject (for issuers without URI SANs).")
    boolean subjectOnly;

    @Parameters(index = "0", paramLabel = "FILE", description = "The certificate (optionally followed by its chain).")
    Path file;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws PkiException {
        Role requiredRole = role == null ? null : LeafOptions.parseRole(role);
        Instant instant = parseInstant(at);
        Purpose checkedPurpose = switch (purpose.toLowerCase(Locale.ROOT)) {
            case "node" -> Purpose.NODE;
            case "client" -> Purpose.TLS_CLIENT;
            case "server" -> Purpose.TLS_SERVER;
            default -> throw new PkiException("--purpose: '" + purpose + "' (expected: node, client or server)");
        };
        IdentityMode mode = subjectOnly ? IdentityMode.SUBJECT_ONLY : IdentityMode.URI_SAN;
        List<X509Certificate> presented;
        List<X509Certificate> intermediates = new ArrayList<>();
        try {
            presented = Pem.readCertificatesRequired(file);
            for (Path path : untrusted) {
                intermediates.addAll(Pem.readCertificatesRequired(path));
            }
        } catch (PemException e) {
            throw new PkiException(e.getMessage(), e);
        }
        PrintWriter out = spec.commandLine().getOut();
        TrustMaterial material = trustMaterial(presented.get(0), mode, out);
        if (trust.dir != null) {
            // The CA's own intermediate is known: a leaf-only file verifies without --untrusted.
            Path intermediate = new CaLayout(trust.dir).intermediateCertificate();
            if (Files.isRegularFile(intermediate)) {
                try {
                    intermediates.addAll(Pem.readCertificatesRequired(intermediate));
                } catch (PemException e) {
                    throw new PkiException(e.getMessage(), e);
                }
            }
        }
        try {
            ValidatedPeer peer = new PeerCertificateValidator(material).validate(presented, intermediates,
                    new ValidationOptions(instant, checkedPurpose, mode, !allowStaleCrl));
            if (requiredRole != null && peer.identity().role() != requiredRole) {
                throw new CertificateRejectedException(RejectReason.WRONG_ROLE, peer.identity() + " has role "
                        + peer.identity().role() + " (expected: " + requiredRole + ")");
            }
            for (String warning : peer.warnings()) {
                out.println("warning: " + warning);
            }
            out.printf("valid: %s (serial %s, expires %s, issued by '%s')%n", peer.identity(),
                    Certificates.serialHex(peer.leaf()), peer.leaf().getNotAfter().toInstant(),
                    peer.leaf().getIssuerX500Principal().getName());
            out.flush();
            return 0;
        } catch (CertificateRejectedException e) {
            out.println("invalid: " + e.getMessage());
            String fix = fixFor(e.reason(), presented.get(0));
            if (fix != null) {
                out.println("fix: " + fix);
            }
            out.flush();
            return 1;
        }
    }

    private static final String GRAMMAR = "the identity is spiffe://<trust-domain>/<role>/<name>: trust domain lower-case"
            + " [a-z0-9._-], role one of client, proxy, storage, coordinator, admin, auditor, edge, name [a-z0-9-]{1,63},"
            + " nothing else (no port, query, percent-encoding or extra segment)";

    /**
     * What an operator changes at a foreign issuer (openssl, cfssl, a cloud CA) so the certificate qualifies; null
     * when the reason is not about the certificate's shape.
     */
    static String fixFor(RejectReason reason, X509Certificate leaf) {
        return switch (reason) {
            case NO_SPIFFE_ID -> dnsSpiffe(leaf) != null
                    ? "the SAN 'DNS:" + dnsSpiffe(leaf) + "' holds the SPIFFE ID as a DNS name (older cfssl writes every"
                    + " 'hosts' entry so); it must be a URI SAN (openssl: subjectAltName = URI:" + dnsSpiffe(leaf) + "),"
                    + " or omit it and run nodes with security.trust.identity-mode = subject-only (verify --subject-only)"
                    : "add exactly one URI SAN spiffe://<trust-domain>/<role>/<name> (openssl: subjectAltName ="
                    + " URI:spiffe://...), or, for an issuer that cannot write URI SANs, put O=<trust-domain>,"
                    + " OU=<role>, CN=<name> in the subject and use security.trust.identity-mode = subject-only";
            case MULTIPLE_SPIFFE_IDS -> "keep exactly one spiffe:// URI SAN";
            case MALFORMED_SPIFFE_ID, UNKNOWN_ROLE, INVALID_NAME, INVALID_TRUST_DOMAIN, MALFORMED_SUBJECT -> GRAMMAR;
            case SUBJECT_MISMATCH -> "write the subject as O=<trust-domain>, OU=<role>, CN=<name> to match the SPIFFE ID,"
                    + " or leave it empty (SPIFFE SVID style)";
            case MISSING_EXTENDED_KEY_USAGE -> "a node certificate needs extendedKeyUsage serverAuth and clientAuth"
                    + " (openssl: extendedKeyUsage = serverAuth, clientAuth; cfssl usages: \"server auth\", \"client auth\")";
            case LEAF_IS_CA -> "a node certificate must not be a CA (openssl: basicConstraints = critical, CA:FALSE;"
                    + " cfssl: a signing profile without ca_constraint)";
            case KEY_USAGE -> "a node certificate needs keyUsage digitalSignature (openssl: keyUsage = critical,"
                    + " digitalSignature; cfssl usages: \"digital signature\"); a CA needs keyCertSign";
            case WEAK_KEY -> "use an EC P-256/P-384/P-521, Ed25519 or RSA key of at least 2048 bits (openssl genpkey"
                    + " -algorithm EC -pkeyopt ec_paramgen_curve:P-256)";
            case WEAK_SIGNATURE -> "sign with SHA-256 or stronger (openssl: -sha256); SHA-1 and MD5 are refused";
            case UNTRUSTED_ISSUER -> "pass the issuer's root with --ca (and its intermediates with --untrusted, or append"
                    + " them to the certificate file)";
            case FOREIGN_TRUST_DOMAIN -> "the certificate's trust domain has no bundle here; pass --trust-domain with the"
                    + " bundle that vouches for it, or add the domain to security.trust.other-domains";
            case NAME_CONSTRAINTS -> "the issuing CA is name-constrained to another trust domain (another cell); issue"
                    + " from the certificate's own cell CA";
            default -> null;
        };
    }

    /** A DNS SAN that is really a SPIFFE ID, or null. */
    private static String dnsSpiffe(X509Certificate leaf) {
        try {
            if (leaf.getSubjectAlternativeNames() == null) {
                return null;
            }
            for (List<?> name : leaf.getSubjectAlternativeNames()) {
                if (name.size() >= 2 && Integer.valueOf(2).equals(name.get(0)) && name.get(1) instanceof String dns
                        && dns.regionMatches(true, 0, "spiffe://", 0, 9)) {
                    return dns;
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            return null;
        }
        return null;
    }

    private TrustMaterial trustMaterial(X509Certificate leaf, IdentityMode mode, PrintWriter out) throws PkiException {
        try {
            if (trust.dir != null) {
                CertificateAuthority authority = CertificateAuthority.open(trust.dir, null, java.time.Clock.systemUTC());
                CaLayout layout = authority.layout();
                List<Path> crlFiles = new ArrayList<>(List.of(layout.crl()));
                crlFiles.addAll(crls);
                return TrustMaterial.of(TrustBundles.load(authority.trustDomain(), layout.roots(), crlFiles,
                        RevocationPolicy.REQUIRE));
            }
            TrustDomain domain = trustDomain != null ? TrustDomain.of(trustDomain) : claimedDomain(leaf, mode);
            if (crls.isEmpty()) {
                out.println("note: no --crl given, revocation is not checked");
            }
            return TrustMaterial.of(TrustBundles.load(domain, trust.ca, crls,
                    crls.isEmpty() ? RevocationPolicy.OFF : RevocationPolicy.REQUIRE));
        } catch (PemException e) {
            throw new PkiException(e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new PkiException("--trust-domain: " + e.getMessage(), e);
        }
    }

    /** Without --trust-domain, the bundle vouches for the domain the leaf claims; a bad claim is reported by validation. */
    private static TrustDomain claimedDomain(X509Certificate leaf, IdentityMode mode) {
        try {
            return CertificateIdentities.identityOf(leaf, mode).trustDomain();
        } catch (InvalidIdentityException e) {
            return TrustDomain.of("unknown.invalid");
        }
    }

    private static Instant parseInstant(String value) throws PkiException {
        if (value == null) {
            return Instant.now();
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            try {
                return LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException second) {
                throw new PkiException("--at: '" + value + "' (expected ISO-8601, e.g. 2030-01-01T00:00:00Z)");
            }
        }
    }
}
