package io.gitward.security.x509;

import io.gitward.security.identity.TrustDomain;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/** Loads a {@link TrustBundle} from PEM files, with errors that name the file and say what is wrong. */
public final class TrustBundles {
    private TrustBundles() {
    }

    /**
     * @param roots    PEM file with one or more CA certificates (several during a CA rollover)
     * @param crlFiles PEM files with CRLs; empty for none
     */
    public static TrustBundle load(TrustDomain trustDomain, Path roots, List<Path> crlFiles, RevocationPolicy policy)
            throws PemException {
        return load(trustDomain, roots, List.of(), crlFiles, policy);
    }

    /** As above, with files of intermediate CA certificates used to complete chains (never as anchors). */
    public static TrustBundle load(TrustDomain trustDomain, Path roots, List<Path> intermediateFiles, List<Path> crlFiles,
            RevocationPolicy policy) throws PemException {
        List<X509Certificate> anchors = Pem.readCertificatesRequired(roots);
        for (X509Certificate anchor : anchors) {
            if (!Certificates.isCa(anchor)) {
                throw new PemException(roots + ": holds " + Certificates.describe(anchor)
                        + ", which is not a CA certificate (a trust bundle holds only CA roots)");
            }
        }
        List<X509Certificate> intermediates = new ArrayList<>();
        for (Path file : intermediateFiles) {
            for (X509Certificate certificate : Pem.readCertificatesRequired(file)) {
                if (!Certificates.isCa(certificate)) {
                    throw new PemException(file + ": holds " + Certificates.describe(certificate)
                            + ", which is not a CA certificate (expected intermediate CA certificates)");
                }
                intermediates.add(certificate);
            }
        }
        List<X509CRL> crls = new ArrayList<>();
        for (Path file : crlFiles) {
            crls.addAll(Pem.readCrls(file));
        }
        return new TrustBundle(trustDomain, anchors, intermediates, crls, policy);
    }
}
