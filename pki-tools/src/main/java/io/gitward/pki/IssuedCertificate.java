package io.gitward.pki;

/**
 * What {@code pki issue|sign|renew --json} prints: the identity, the certificate's facts and every
 * path written (the {@code --json} schema in docs/contracts.md).
 */
public record IssuedCertificate(String identity, String role, String name, String trustDomain, String serial,
        String notBefore, String notAfter, String sha256, String keyType, Files files) {

    /** Absolute paths; {@code key} is null when the key stayed on the node (CSR signing). */
    public record Files(String key, String certificate, String chain, String roots, String crl) {
    }
}
