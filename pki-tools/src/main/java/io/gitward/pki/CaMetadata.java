package io.gitward.pki;

/**
 * The contents of {@code ca/ca.json}.
 *
 * @param format        always {@value #FORMAT}
 * @param trustDomain   the trust domain every issued identity belongs to
 * @param keyType       the CA keys' type
 * @param issuer        "root" or "intermediate": which certificate signs leaves
 * @param keyEncrypted  whether the CA keys need a passphrase
 * @param crlValidity   how long a freshly signed CRL stays valid (its next-update), e.g. "7d"
 * @param createdAt     ISO-8601 instant of {@code pki init}
 */
public record CaMetadata(String format, String trustDomain, String keyType, String issuer, boolean keyEncrypted,
        String crlValidity, String createdAt) {
    public static final String FORMAT = "gitward-ca/1";
    public static final String ISSUER_ROOT = "root";
    public static final String ISSUER_INTERMEDIATE = "intermediate";

    public boolean usesIntermediate() {
        return ISSUER_INTERMEDIATE.equals(issuer);
    }
}
