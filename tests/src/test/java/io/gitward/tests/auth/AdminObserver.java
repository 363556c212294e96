package io.gitward.tests.auth;

import io.gitward.proto.AuditRow;
import io.gitward.proto.GetAuditRequest;
import io.gitward.proto.GetAuditResponse;
import io.gitward.proto.GetNodeInfoRequest;
import io.gitward.proto.GetSecurityStatusRequest;
import io.gitward.proto.NodeServiceGrpc;
import io.gitward.proto.SecurityAdminGrpc;
import io.gitward.proto.SecurityStatus;
import io.gitward.proto.ServedMethods;
import io.gitward.tests.TestTokens;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.security.ProbeCaller;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.netty.handler.ssl.SslProvider;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * An operator reading every node's admin views over TLS with an {@code admin} certificate and a valid token, which
 * is admitted in every phase: by the token while nodes do not ask for certificates (0-1), by the certificate after.
 * Channels are kept per node until {@link #reconnect()}, which a phase change needs (a connection made before it
 * keeps the identity it had). Thread-safe.
 */
final class AdminObserver implements AutoCloseable {
    private final ProbeCaller.ClientIdentity admin;
    private final List<X509Certificate> roots;
    private final CallCredentials token;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    AdminObserver(ProbeCaller.ClientIdentity admin, List<X509Certificate> roots, String tokenSecret) {
        this.admin = admin;
        this.roots = roots;
        this.token = TestTokens.bearer(tokenSecret);
    }

    SecurityStatus status(ClusterNode node) throws SSLException {
        return SecurityAdminGrpc.newBlockingStub(channel(node)).withCallCredentials(token)
                .withDeadlineAfter(20, TimeUnit.SECONDS).getSecurityStatus(GetSecurityStatusRequest.getDefaultInstance());
    }

    GetAuditResponse audit(ClusterNode node) throws SSLException {
        return SecurityAdminGrpc.newBlockingStub(channel(node)).withCallCredentials(token)
                .withDeadlineAfter(20, TimeUnit.SECONDS).getAudit(GetAuditRequest.getDefaultInstance());
    }

    /** Audit counts keyed "principal|transport|credential|scope|decision". */
    Map<String, Long> auditCounts(ClusterNode node) throws SSLException {
        Map<String, Long> counts = new HashMap<>();
        for (AuditRow row : audit(node).getRowsList()) {
            counts.put(row.getPrincipal() + "|" + row.getTransport() + "|" + row.getCredential() + "|" + row.getScope()
                    + "|" + row.getDecision(), row.getCount());
        }
        return counts;
    }

    /** What each gRPC listener of {@code node} serves, as the node itself reports it. */
    List<ListenerCompleteness.Served> served(ClusterNode node) throws SSLException {
        List<ListenerCompleteness.Served> served = new ArrayList<>();
        for (ServedMethods listener : NodeServiceGrpc.newBlockingStub(channel(node)).withCallCredentials(token)
                .withDeadlineAfter(20, TimeUnit.SECONDS).getNodeInfo(GetNodeInfoRequest.getDefaultInstance())
                .getServedList()) {
            served.add(new ListenerCompleteness.Served(node.kind().wireName(), node.name(), listener.getListener(),
                    listener.getMethodsList()));
        }
        return served;
    }

    /** Drops every channel, so the next call handshakes under the nodes' current phase. */
    void reconnect() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }

    private ManagedChannel channel(ClusterNode node) throws SSLException {
        ManagedChannel channel = channels.get(node.name());
        if (channel == null) {
            ManagedChannel made = ProbeCaller.channel(node.tlsPort(), true, admin, roots, SslProvider.OPENSSL);
            channel = channels.putIfAbsent(node.name(), made);
            if (channel == null) {
                channel = made;
            } else {
                made.shutdownNow();
            }
        }
        return channel;
    }

    @Override
    public void close() {
        reconnect();
    }
}
