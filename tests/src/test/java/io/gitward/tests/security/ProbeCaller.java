package io.gitward.tests.security;

import io.gitward.tests.probe.ProbeRequest;
import io.gitward.tests.probe.ProbeResponse;
import io.gitward.tests.probe.ScopeProbeGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.net.ConnectException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import javax.net.ssl.SSLException;

/**
 * Calls a probe method the way a given kind of caller would (plaintext or TLS, with or without a client
 * certificate, with or without a token or forwarded header) and classifies what it experiences.
 */
public final class ProbeCaller {
    /** A client certificate: its key and chain (leaf first). */
    public record ClientIdentity(PrivateKey key, List<X509Certificate> chain) {
    }

    /** The probe methods by scope name. */
    enum Method {
        PUBLIC(ScopeProbeGrpc.ScopeProbeBlockingStub::public_),
        INTERNAL(ScopeProbeGrpc.ScopeProbeBlockingStub::internal),
        MAINTENANCE(ScopeProbeGrpc.ScopeProbeBlockingStub::maintenance),
        ADMIN_READ(ScopeProbeGrpc.ScopeProbeBlockingStub::adminRead),
        ADMIN_WRITE(ScopeProbeGrpc.ScopeProbeBlockingStub::adminWrite),
        TX_REGISTER(ScopeProbeGrpc.ScopeProbeBlockingStub::txRegister),
        TX_VOTE(ScopeProbeGrpc.ScopeProbeBlockingStub::txVote),
        UNANNOTATED(ScopeProbeGrpc.ScopeProbeBlockingStub::unannotated);

        private final BiFunction<ScopeProbeGrpc.ScopeProbeBlockingStub, ProbeRequest, ProbeResponse> invoke;

        Method(BiFunction<ScopeProbeGrpc.ScopeProbeBlockingStub, ProbeRequest, ProbeResponse> invoke) {
            this.invoke = invoke;
        }
    }

    /** The outcome, the status (for messages) and the response when the call succeeded. */
    record Result(Outcome outcome, Status status, ProbeResponse response) {
        @Override
        public String toString() {
            return outcome + " (" + status.getCode() + ": " + status.getDescription() + ")";
        }
    }

    private ProbeCaller() {
    }

    /** A channel as the described caller; the caller shuts it down. */
    public static ManagedChannel channel(int port, boolean tls, ClientIdentity identity, List<X509Certificate> roots,
            SslProvider provider) throws SSLException {
        // Retries off (and waitForReady off, the default): every failure is visible to the test.
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress("127.0.0.1", port).disableRetry();
        if (!tls) {
            return builder.usePlaintext().build();
        }
        SslContextBuilder ssl = GrpcSslContexts.configure(SslContextBuilder.forClient(), provider)
                .trustManager(roots.toArray(new X509Certificate[0]));
        if (identity != null) {
            ssl.keyManager(identity.key(), identity.chain().toArray(new X509Certificate[0]));
        }
        return builder.sslContext(ssl.build()).build();
    }

    /** The forwarded client-certificate header an nginx edge sets from {@code $ssl_client_escaped_cert}: the leaf. */
    public static String forwardedHeaderValue(List<X509Certificate> chain) {
        String pem = io.gitward.security.x509.Pem.encodeCertificates(List.of(chain.get(0)));
        StringBuilder escaped = new StringBuilder();
        for (char c : pem.toCharArray()) {
            if (Character.isLetterOrDigit(c) || c == '-' || c == '.' || c == '_' || c == '~') {
                escaped.append(c);
            } else {
                escaped.append(String.format("%%%02X", (int) c));
            }
        }
        return escaped.toString();
    }

    static Result call(ManagedChannel channel, Method method, String token, Map<String, List<String>> headers) {
        Metadata metadata = new Metadata();
        if (token != null) {
            metadata.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        }
        headers.forEach((name, values) -> values.forEach(value -> metadata.put(
                Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value)));
        ScopeProbeGrpc.ScopeProbeBlockingStub stub = ScopeProbeGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
                .withDeadlineAfter(15, TimeUnit.SECONDS);
        try {
            ProbeResponse response = method.invoke.apply(stub, ProbeRequest.newBuilder().setPayload("probe").build());
            return new Result(Outcome.OK, Status.OK, response);
        } catch (StatusRuntimeException e) {
            return new Result(classify(e.getStatus()), e.getStatus(), null);
        }
    }

    static Result callOnce(int port, boolean tls, ClientIdentity identity, List<X509Certificate> roots, SslProvider provider,
            Method method, String token, Map<String, List<String>> headers) throws SSLException {
        ManagedChannel channel = channel(port, tls, identity, roots, provider);
        try {
            return call(channel, method, token, headers);
        } finally {
            channel.shutdownNow();
        }
    }

    static Outcome classify(Status status) {
        switch (status.getCode()) {
            case UNAUTHENTICATED:
                return Outcome.UNAUTHENTICATED;
            case PERMISSION_DENIED:
                return Outcome.PERMISSION_DENIED;
            case UNAVAILABLE:
                for (Throwable cause = status.getCause(); cause != null; cause = cause.getCause()) {
                    if (cause instanceof ConnectException) {
                        return Outcome.CONNECTION_REFUSED;
                    }
                    if (cause instanceof SSLException) {
                        return Outcome.HANDSHAKE_REFUSED;
                    }
                }
                String description = String.valueOf(status.getDescription()).toLowerCase(java.util.Locale.ROOT);
                if (description.contains("ssl") || description.contains("handshake") || description.contains("certificate")) {
                    return Outcome.HANDSHAKE_REFUSED;
                }
                return Outcome.OTHER;
            default:
                return Outcome.OTHER;
        }
    }
}
