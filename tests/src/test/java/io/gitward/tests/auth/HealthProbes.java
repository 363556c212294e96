package io.gitward.tests.auth;

import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.security.ProbeCaller;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;

/**
 * A node's health listener, as a caller sees it: it is plaintext, outside TLS and authorization, so it answers
 * anyone with SERVING (Check, and the first message of Watch), and refuses every other method with UNIMPLEMENTED:
 * it serves nothing else and has no security interceptor to route an unknown method to.
 */
final class HealthProbes {
    static final List<String> HEALTH_METHODS = List.of("grpc.health.v1.Health/Check", "grpc.health.v1.Health/Watch");

    private final MatrixPlayer player;
    private final Map<String, Map<String, RealRpc>> rpcs;
    private final List<X509Certificate> roots;

    HealthProbes(MatrixPlayer player, Map<String, Map<String, RealRpc>> rpcs, List<X509Certificate> roots) {
        this.player = player;
        this.rpcs = rpcs;
        this.roots = List.copyOf(roots);
    }

    /** Plays the health listener of {@code node} at {@code port} as {@code caller}; returns the number of calls. */
    int play(String phase, MatrixCaller caller, ClusterNode node, int port, List<String> mismatches) throws Exception {
        String where = "phase " + phase + " | " + caller.row() + " | " + node.name() + " health listener ";
        int probes = 0;
        ManagedChannel channel = ProbeCaller.channel(port, false, null, roots, caller.provider());
        try {
            for (String method : HEALTH_METHODS) {
                RealRpc rpc = rpcs.get(node.kind().wireName()).get(method);
                RawCall.Result result = player.call(channel, caller, method, rpc.type(), rpc.request(), true);
                probes++;
                String actual = Verdicts.of(result.status(), rpc);
                if (actual.equals(Verdicts.OK)) {
                    actual = HealthCheckResponse.parseFrom(result.firstMessage()).getStatus().name();
                }
                if (!actual.equals("SERVING")) {
                    mismatches.add(where + method + ": expected SERVING, got " + actual + " (" + result.status() + ")");
                }
            }
            for (String method : MatrixPlayer.refusedMethods()) {
                Status status = player.call(channel, caller, method, MatrixPlayer.type(method), MatrixPlayer.request(method),
                        false).status();
                probes++;
                if (status.getCode() != Status.Code.UNIMPLEMENTED) {
                    mismatches.add(where + method + ": expected UNIMPLEMENTED, got " + status);
                }
            }
        } finally {
            channel.shutdownNow();
        }
        return probes;
    }
}
