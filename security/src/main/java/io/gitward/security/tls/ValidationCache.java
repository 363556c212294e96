package io.gitward.security.tls;

import io.gitward.security.x509.Certificates;
import io.gitward.security.x509.Purpose;
import io.gitward.security.x509.ValidatedPeer;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Remembers successful validations per (presented chain, purpose, trust generation), so a peer that
 * reconnects costs a hash instead of a path validation. Bounded (LRU); an entry ends when its trust
 * generation is replaced, when the leaf or a CRL would expire, and after at most a minute.
 */
final class ValidationCache {
    private static final int MAX_ENTRIES = 4096;
    private static final long MAX_AGE_SECONDS = 60;

    private record Entry(ValidatedPeer peer, long generation, Instant validUntil) {
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>(256, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    static String key(List<X509Certificate> chain, Purpose purpose) {
        StringBuilder key = new StringBuilder(purpose.name());
        for (X509Certificate certificate : chain) {
            try {
                key.append('|').append(Certificates.sha256(certificate.getEncoded()));
            } catch (CertificateEncodingException e) {
                key.append("|?");
            }
        }
        return key.toString();
    }

    synchronized ValidatedPeer get(String key, long generation, Instant now) {
        Entry entry = entries.get(key);
        if (entry == null) {
            return null;
        }
        if (entry.generation != generation || !now.isBefore(entry.validUntil)) {
            entries.remove(key);
            return null;
        }
        return entry.peer;
    }

    synchronized void put(String key, ValidatedPeer peer, long generation, Instant now) {
        Instant until = now.plusSeconds(MAX_AGE_SECONDS);
        for (X509Certificate certificate : peer.path()) {
            Instant notAfter = certificate.getNotAfter().toInstant();
            if (notAfter.isBefore(until)) {
                until = notAfter;
            }
        }
        entries.put(key, new Entry(peer, generation, until));
    }

    synchronized void clear() {
        entries.clear();
    }
}
