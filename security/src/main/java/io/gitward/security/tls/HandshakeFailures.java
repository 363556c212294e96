package io.gitward.security.tls;

import io.gitward.security.x509.RejectReason;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code tls_handshake_failures{reason}}: refused peer certificates by reason, plus handshakes that failed
 * before a certificate was judged (no certificate, protocol errors, timeouts). Bounded: reasons are an enum.
 */
public final class HandshakeFailures {
    /** Failures that happen before or instead of certificate validation. */
    public enum Transport {
        NO_CLIENT_CERTIFICATE("no_client_certificate"),
        PROTOCOL("protocol"),
        TIMEOUT("timeout");

        private final String code;

        Transport(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    private final Map<RejectReason, LongAdder> byReason = new EnumMap<>(RejectReason.class);
    private final Map<Transport, LongAdder> byTransport = new EnumMap<>(Transport.class);

    public HandshakeFailures() {
        for (RejectReason reason : RejectReason.values()) {
            byReason.put(reason, new LongAdder());
        }
        for (Transport transport : Transport.values()) {
            byTransport.put(transport, new LongAdder());
        }
    }

    public void record(RejectReason reason) {
        byReason.get(reason).increment();
    }

    public void record(Transport transport) {
        byTransport.get(transport).increment();
    }

    /** Non-zero counts by reason code. */
    public Map<String, Long> snapshot() {
        Map<String, Long> counts = new java.util.TreeMap<>();
        byReason.forEach((reason, adder) -> {
            if (adder.sum() > 0) {
                counts.put(reason.code(), adder.sum());
            }
        });
        byTransport.forEach((transport, adder) -> {
            if (adder.sum() > 0) {
                counts.put(transport.code(), adder.sum());
            }
        });
        return counts;
    }

    public long total() {
        return snapshot().values().stream().mapToLong(Long::longValue).sum();
    }
}
