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
 * @param rootDir       for a cell CA ({@code pki init-cell}): the offline root's directory, whose key is not here;
 *                      null otherwise (absent from older files)
 */
public record CaMetadata(String format, String trustDomain, String keyType, String issuer, boolean keyEncrypted,
        String crlValidity, String createdAt, String rootDir) {
    public static final String FORMAT = "gitward-ca/1";
    public static final String ISSUER_ROOT = "root";
    public static final String ISSUER_INTERMEDIATE = "intermediate";
    /** An offline root ({@code pki init --offline-root}): signs cell intermediates only, never a leaf. */
    public static final String ISSUER_OFFLINE_ROOT = "offline-root";

    public CaMetadata(String format, String trustDomain, String keyType, String issuer, boolean keyEncrypted,
            String crlValidity, String createdAt) {
        this(format, trustDomain, keyType, issuer, keyEncrypted, crlValidity, createdAt, null);
    }

    public boolean usesIntermediate() {
        return ISSUER_INTERMEDIATE.equals(issuer);
    }

    public boolean isOfflineRoot() {
        return ISSUER_OFFLINE_ROOT.equals(issuer);
    }

    /** A cell CA: its intermediate was signed by an offline root kept elsewhere. */
    public boolean isCell() {
        return rootDir != null;
    }
}
