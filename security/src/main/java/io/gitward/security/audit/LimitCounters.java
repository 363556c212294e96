package io.gitward.security.audit;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code gitward_limit_refusals_total{limit}}: each time a limit of design.md section 8 refused a peer or ended a
 * connection, so an operator sees an attack being absorbed (handshake timeouts are in
 * {@code gitward_tls_handshake_failures_total{reason="timeout"}}). Bounded: the limits are an enum. Thread-safe.
 */
public final class LimitCounters {
    /** What acted. */
    public enum Limit {
        /** An HTTP/2 connection ended with GOAWAY ENHANCE_YOUR_CALM: more RST_STREAM frames than the window allows. */
        RAPID_RESET("rapid_reset"),
        /** An HTTP/2 connection ended with GOAWAY ENHANCE_YOUR_CALM: pings more often than allowed. */
        PING_FLOOD("ping_flood"),
        /** An HTTP/2 connection ended because a header block went far beyond the metadata limit. */
        HEADER_SIZE("header_size"),
        /** A gRPC stream ended with RESOURCE_EXHAUSTED: its message was larger than the inbound message limit. */
        MESSAGE_SIZE("message_size"),
        /** The oldest connection still in its TLS handshake was closed to make room for a new one at the limit. */
        PENDING_HANDSHAKE_EVICTED("pending_handshake_evicted"),
        /** A new connection was closed at once: the connection limit was reached and nothing could make room. */
        MAX_CONNECTIONS("max_connections"),
        /**
         * An HTTP listener's connection was closed after {@code idle-timeout} without traffic (HTTP/1.1) or without
         * a request (HTTP/2).
         */
        IDLE_TIMEOUT("idle_timeout"),
        /** An HTTP/1.1 request head took longer than {@code handshake-timeout} to arrive (slowloris). */
        REQUEST_HEAD_TIMEOUT("request_head_timeout");

        private final String code;

        Limit(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    private final Map<Limit, LongAdder> counts = new EnumMap<>(Limit.class);

    public LimitCounters() {
        for (Limit limit : Limit.values()) {
            counts.put(limit, new LongAdder());
        }
    }

    public void record(Limit limit) {
        counts.get(limit).increment();
    }

    public long count(Limit limit) {
        return counts.get(limit).sum();
    }

    /** Every limit's count by code, zeros included, in declaration order. */
    public Map<String, Long> snapshot() {
        Map<String, Long> snapshot = new LinkedHashMap<>();
        counts.forEach((limit, adder) -> snapshot.put(limit.code(), adder.sum()));
        return snapshot;
    }
}
