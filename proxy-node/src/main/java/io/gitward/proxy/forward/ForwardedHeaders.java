package io.gitward.proxy.forward;

import io.grpc.Metadata;
import java.util.List;

/**
 * The inbound headers the proxy passes on to storage: correlation and tracing only. Everything else —
 * {@code authorization}, every {@code gitward-*} header, forwarded-certificate headers — stays here; the proxy
 * calls storage with its own identity.
 */
final class ForwardedHeaders {
    static final List<String> ALLOWED = List.of("x-request-id", "traceparent", "tracestate");

    private ForwardedHeaders() {
    }

    static Metadata from(Metadata inbound) {
        Metadata forwarded = new Metadata();
        for (String name : ALLOWED) {
            Metadata.Key<String> key = Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
            Iterable<String> values = inbound.getAll(key);
            if (values != null) {
                for (String value : values) {
                    forwarded.put(key, value);
                }
            }
        }
        return forwarded;
    }
}
