/**
 * The HTTP operator endpoints every node serves next to gRPC: {@code GET /metrics}, {@code /readyz} and
 * {@code /healthz} over HTTP/1.1 and HTTP/2, on HTTPS (same certificate, client-auth, revocation and
 * connection limit as the grpc-tls listener), on plaintext while the phase allows it, and a bare health probe.
 * Every call is decided by the node's {@link io.gitward.security.authz.AccessPolicy} and recorded in its audit,
 * exactly as a gRPC call of the same scope.
 */
package io.gitward.security.http;
