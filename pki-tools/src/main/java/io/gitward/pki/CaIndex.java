package io.gitward.pki;

import java.util.List;

/**
 * The CA's record: every serial it signed, which are revoked, and the last CRL number used.
 *
 * @param format    always {@value #FORMAT}
 * @param crlNumber the CRL number of the CRLs currently in {@code ca/crl.pem}; only ever increases
 */
public record CaIndex(String format, long crlNumber, List<IndexEntry> entries) {
    public static final String FORMAT = "gitward-ca-index/1";

    public CaIndex {
        entries = List.copyOf(entries);
    }
}
