package io.gitward.security.runtime;

import io.gitward.security.authz.SecurityContext;
import io.grpc.Metadata;
import java.util.List;

/**
 * Request headers whose value is new on every call: the deadline's {@code grpc-timeout}, the bearer token (a
 * secret, too: RFC 7541 section 7.1.3), the transaction header, request and trace ids. Outbound channels send
 * them as HPACK "never indexed" literals. Indexed, each call would pay a lookup that misses, an insert and an
 * eviction in the connection's 4 KiB table for an entry no later call can match, and push useful entries out.
 */
final class UnindexedHeaders {
    static final List<Metadata.Key<?>> KEYS = List.of(
            Metadata.Key.of("grpc-timeout", Metadata.ASCII_STRING_MARSHALLER),
            SecurityContext.AUTHORIZATION,
            Metadata.Key.of(SecurityContext.TRANSACTION_HEADER, Metadata.BINARY_BYTE_MARSHALLER),
            Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER),
            Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER));

    private UnindexedHeaders() {
    }
}
