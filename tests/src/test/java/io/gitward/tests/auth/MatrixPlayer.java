package io.gitward.tests.auth;

import io.gitward.proto.GetAuditResponse;
import io.gitward.security.token.TokenSecret;
import io.gitward.security.token.Tokens;
import io.gitward.tests.TestTokens;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.security.ProbeCaller;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.reflection.v1.ServerReflectionRequest;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Plays one caller row of the outcome table against one real node: one connection as that caller, every RPC the
 * rpc-columns section maps for the node's kind, each compared with its column's cell, then the methods nobody may
 * call (a made-up one and gRPC reflection), which must be refused. A refused handshake is named by the reason the
 * node itself counted ({@code GetAudit} handshake failures).
 */
final class MatrixPlayer {
    static final String UNKNOWN_METHOD = "gitward.NoSuchService/NoSuchMethod";
    static final List<String> REFLECTION = List.of("grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo");
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
            Metadata.ASCII_STRING_MARSHALLER);

    /** What one row on one node checked. */
    record Played(int cells, int calls, int refusedProbes) {
    }

    private final RpcColumns columns;
    private final Map<String, Map<String, RealRpc>> rpcs;
    private final List<X509Certificate> roots;
    private final AdminObserver observer;
    private final Metadata.Key<String> forwardedHeader;
    private final Tokens valid;
    private final Tokens wrong = TestTokens.tokens("a-different-secret-of-another-cluster");
    private final Tokens expired;
    /** Every call as "phase | row | node method [column]: expected X, got Y (status)", for the run's record. */
    private final java.util.Queue<String> observed = new java.util.concurrent.ConcurrentLinkedQueue<>();

    MatrixPlayer(RpcColumns columns, Map<String, Map<String, RealRpc>> rpcs, List<X509Certificate> roots,
            AdminObserver observer, String forwardedHeader, String tokenSecret) {
        this.columns = columns;
        this.rpcs = rpcs;
        this.roots = roots;
        this.observer = observer;
        this.forwardedHeader = Metadata.Key.of(forwardedHeader, Metadata.ASCII_STRING_MARSHALLER);
        this.valid = TestTokens.tokens(tokenSecret);
        // An hour old with 30 s of allowed skew, as the table's "expired token" says.
        this.expired = new Tokens(TokenSecret.of(tokenSecret), Duration.ofSeconds(30),
                Clock.fixed(Instant.now().minusSeconds(3600), ZoneOffset.UTC), 10);
    }

    /**
     * Plays {@code caller} (the table's row, with its {@code cells}) on {@code node} through {@code port}; a line per
     * differing call goes to {@code mismatches}.
     */
    Played play(String phase, MatrixCaller caller, Map<String, String> cells, ClusterNode node, int port,
            List<String> mismatches, List<String> refusalMismatches) throws Exception {
        String kind = node.kind().wireName();
        Map<String, String> expectedByMethod = new LinkedHashMap<>();
        for (String method : columns.methods(kind, RpcColumns.GRPC)) {
            String column = columns.columnOf(kind, "grpc-tls", method).orElseThrow();
            String cell = cells.get(column);
            if (cell == null) {
                throw new AssertionError("phase " + phase + " has no column '" + column + "' for " + method);
            }
            expectedByMethod.put(method, cell);
        }
        Set<String> nodeCells = new LinkedHashSet<>(expectedByMethod.values());
        Map<String, Long> handshakesBefore = caller.tls() && nodeCells.stream()
                .anyMatch(cell -> cell.startsWith(Verdicts.HANDSHAKE_REFUSED)) ? handshakeFailures(node) : null;
        ManagedChannel channel = ProbeCaller.channel(port, caller.tls(), caller.identity(), roots, caller.provider());
        String[] reason = {null};
        int calls = 0;
        Set<String> columnsSeen = new LinkedHashSet<>();
        try {
            for (Map.Entry<String, String> expected : expectedByMethod.entrySet()) {
                RealRpc rpc = rpcs.get(kind).get(expected.getKey());
                Status status = call(channel, caller, rpc.method(), rpc.type(), rpc.request(), false).status();
                String actual = named(Verdicts.of(status, rpc), node, handshakesBefore, reason);
                calls++;
                String column = columns.columnOf(kind, "grpc-tls", rpc.method()).orElseThrow();
                columnsSeen.add(column);
                String line = "phase " + phase + " | " + caller.row() + " | " + node.name() + " " + rpc.method() + " ["
                        + column + "]: expected " + expected.getValue() + ", got " + actual + describe(status);
                observed.add(line);
                if (!actual.equals(expected.getValue())) {
                    mismatches.add(line);
                }
            }
            // Nobody may call a method without a scope: refused by the transport like everything else when the caller
            // never gets through it, else by the security interceptor.
            String refusal = nodeCells.size() == 1 && isTransportRefusal(nodeCells.iterator().next())
                    ? nodeCells.iterator().next() : "PERMISSION_DENIED";
            int probes = 0;
            for (String method : refusedMethods()) {
                Status status = call(channel, caller, method, type(method), request(method), false).status();
                String actual = named(Verdicts.of(status, null), node, handshakesBefore, reason);
                probes++;
                String line = "phase " + phase + " | " + caller.row() + " | " + node.name() + " " + method
                        + " [no scope]: expected " + refusal + ", got " + actual + describe(status);
                observed.add(line);
                if (!actual.equals(refusal)) {
                    refusalMismatches.add(line);
                }
            }
            return new Played(columnsSeen.size(), calls, probes);
        } finally {
            channel.shutdownNow();
        }
    }

    /** Calls {@code method} as {@code caller}: its token (a replayed one is used once before), its forwarded header. */
    RawCall.Result call(Channel channel, MatrixCaller caller, String method, MethodDescriptor.MethodType type,
            byte[] request, boolean endAfterFirstMessage) {
        String token = token(caller.token());
        if ("replayed".equals(caller.token())) {
            RawCall.call(channel, method, type, request, headers(caller, token), DEADLINE, endAfterFirstMessage);
        }
        return RawCall.call(channel, method, type, request, headers(caller, token), DEADLINE, endAfterFirstMessage);
    }

    /** Every call played so far, in the order they ended. */
    List<String> observed() {
        return List.copyOf(observed);
    }

    static List<String> refusedMethods() {
        List<String> methods = new java.util.ArrayList<>(List.of(UNKNOWN_METHOD));
        methods.addAll(REFLECTION);
        return methods;
    }

    static MethodDescriptor.MethodType type(String refusedMethod) {
        return refusedMethod.equals(UNKNOWN_METHOD) ? MethodDescriptor.MethodType.UNARY
                : MethodDescriptor.MethodType.BIDI_STREAMING;
    }

    /** What a real client of the method would send: a reflection client asks for the list of services. */
    static byte[] request(String refusedMethod) {
        return refusedMethod.equals(UNKNOWN_METHOD) ? new byte[0]
                : ServerReflectionRequest.newBuilder().setListServices("").build().toByteArray();
    }

    private Metadata headers(MatrixCaller caller, String token) {
        Metadata headers = new Metadata();
        if (token != null) {
            headers.put(AUTHORIZATION, "Bearer " + token);
        }
        if (caller.forwarded() != null) {
            headers.put(forwardedHeader, ProbeCaller.forwardedHeaderValue(caller.forwarded().chain()));
        }
        return headers;
    }

    private String token(String kind) {
        if (kind == null) {
            return null;
        }
        return switch (kind) {
            case "valid", "replayed" -> valid.issue();
            case "wrong" -> wrong.issue();
            case "expired" -> expired.issue();
            default -> throw new IllegalArgumentException("token kind " + kind);
        };
    }

    /** A refused handshake with the node's reason for it, once per connection. */
    private String named(String verdict, ClusterNode node, Map<String, Long> before, String[] reason) throws Exception {
        if (!verdict.equals(Verdicts.HANDSHAKE_REFUSED)) {
            return verdict;
        }
        if (reason[0] == null) {
            reason[0] = before == null ? "unexpected, not counted" : refusalReason(node, before);
        }
        return verdict + "(" + reason[0] + ")";
    }

    private static boolean isTransportRefusal(String cell) {
        return cell.startsWith(Verdicts.HANDSHAKE_REFUSED) || cell.equals(Verdicts.CONNECTION_REFUSED);
    }

    private Map<String, Long> handshakeFailures(ClusterNode node) throws Exception {
        GetAuditResponse audit = observer.audit(node);
        return Map.copyOf(audit.getHandshakeFailuresMap());
    }

    /** The reason whose count went up on the node (it may count a moment after the caller saw the refusal). */
    private String refusalReason(ClusterNode node, Map<String, Long> before) throws Exception {
        String[] found = {null};
        try {
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
                Set<String> increased = new LinkedHashSet<>();
                handshakeFailures(node).forEach((key, count) -> {
                    if (count > before.getOrDefault(key, 0L)) {
                        increased.add(key);
                    }
                });
                found[0] = increased.isEmpty() ? null : String.join("+", increased);
                return found[0] != null;
            });
        } catch (ConditionTimeoutException e) {
            return "none counted by " + node.name();
        }
        return found[0];
    }

    private static String describe(Status status) {
        return status.isOk() ? "" : " (" + status.getCode() + ": " + status.getDescription() + ")";
    }
}
