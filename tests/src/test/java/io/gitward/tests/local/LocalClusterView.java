package io.gitward.tests.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitward.cli.client.ClientEndpoint;
import io.gitward.proto.GetMetricsRequest;
import io.gitward.proto.GetRepositoryStateRequest;
import io.gitward.proto.ProxyAdminGrpc;
import io.gitward.proto.RepositoryStateResponse;
import io.gitward.proto.SecurityAdminGrpc;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.json.Json;
import io.gitward.security.server.ListenAddress;
import io.gitward.security.server.NodeKind;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a test reads of a running local cluster ({@code ./gitward up --dir DIR}): its nodes' ports, kinds and
 * process ids, when each identity's files were last published, the nodes' logs, and admin calls as the
 * operator's identities (the proxy's repository state, every node's handshake-failure counters).
 */
final class LocalClusterView {
    private static final Pattern HANDSHAKE_FAILURES = Pattern.compile(
            "^gitward_tls_handshake_failures_total\\{reason=\"([a-z_]+)\"} (\\d+)", Pattern.MULTILINE);

    private final Path dir;
    private final String trustDomain;

    LocalClusterView(Path dir, String trustDomain) {
        this.dir = dir;
        this.trustDomain = trustDomain;
    }

    /** Each node's gRPC TLS port, by name. */
    Map<String, Integer> tlsPorts() throws Exception {
        Map<String, Integer> ports = new TreeMap<>();
        for (JsonNode node : manifestNodes()) {
            ports.put(node.get("name").asText(), node.get("tls_port").asInt());
        }
        return ports;
    }

    /** Each node's process id, from the pid file {@code up} wrote. */
    Map<String, Long> pids() throws Exception {
        Map<String, Long> pids = new TreeMap<>();
        for (String node : tlsPorts().keySet()) {
            pids.put(node, Long.parseLong(Files.readString(dir.resolve("nodes/" + node + "/node.pid")).trim()));
        }
        return pids;
    }

    Role roleOf(String node) throws Exception {
        for (JsonNode entry : manifestNodes()) {
            if (entry.get("name").asText().equals(node)) {
                return NodeKind.fromWireName(entry.get("kind").asText()).orElseThrow().role();
            }
        }
        throw new IllegalArgumentException("no node " + node + " in " + dir.resolve("cluster.json"));
    }

    private JsonNode manifestNodes() throws Exception {
        return Json.mapper().readTree(dir.resolve("cluster.json").toFile()).get("nodes");
    }

    /** When {@code node}'s files (key, chain, bundle, CRL) were last published: the swap of its {@code ..data} link. */
    long publishedAt(String node) throws Exception {
        return Files.getLastModifiedTime(dir.resolve("nodes/" + node + "/tls/..data"), LinkOption.NOFOLLOW_LINKS)
                .toMillis();
    }

    Map<String, Long> publishedAt(Iterable<String> nodes) throws Exception {
        Map<String, Long> times = new TreeMap<>();
        for (String node : nodes) {
            times.put(node, publishedAt(node));
        }
        return times;
    }

    /** What the nodes logged about revoked certificates and closed connections, and each one's last trust reload. */
    String revocationLog() throws Exception {
        StringBuilder lines = new StringBuilder();
        for (String node : tlsPorts().keySet()) {
            String lastReload = "";
            for (String line : Files.readAllLines(dir.resolve("nodes/" + node + "/node.log"))) {
                if (line.contains("revoked") || line.contains("connection(s)")) {
                    lines.append(node).append(": ").append(line).append('\n');
                } else if (line.contains("reloaded trust")) {
                    lastReload = line;
                }
            }
            lines.append(node).append(": ").append(lastReload).append('\n');
        }
        return lines.toString();
    }

    /**
     * {@code node}'s established connections whose other end belongs to another node of the cluster: inbound to its
     * TLS port, outbound to a peer's TLS port; by end, with the peer's name.
     */
    Map<TcpConnections.End, String> connectionsWithPeers(String node) throws Exception {
        Map<String, Integer> ports = tlsPorts();
        Map<String, Long> pids = pids();
        Map<TcpConnections.End, String> peered = new LinkedHashMap<>();
        Set<TcpConnections.End> mine = TcpConnections.established(pids.get(node));
        for (Map.Entry<String, Long> peer : pids.entrySet()) {
            if (peer.getKey().equals(node)) {
                continue;
            }
            Set<TcpConnections.End> theirs = TcpConnections.established(peer.getValue());
            for (TcpConnections.End end : mine) {
                boolean tls = end.localPort() == ports.get(node) || ports.containsValue(end.remotePort());
                if (tls && theirs.contains(end.reversed())) {
                    peered.put(end, peer.getKey());
                }
            }
        }
        return peered;
    }

    /** {@code tls_handshake_failures} of each node by "node/reason", read as the operator's admin (ADMIN_READ). */
    Map<String, Long> handshakeFailures(Iterable<String> nodes) throws Exception {
        Map<String, Long> counts = new TreeMap<>();
        for (String node : nodes) {
            // Without the CRL: the operator reads a revoked node's counters too.
            try (ClientEndpoint.Connection admin = endpoint("admin-1", node, roleOf(node), false).open()) {
                String text = SecurityAdminGrpc.newBlockingStub(admin.calls()).withDeadlineAfter(30, TimeUnit.SECONDS)
                        .getMetrics(GetMetricsRequest.getDefaultInstance()).getPrometheusText();
                Matcher matcher = HANDSHAKE_FAILURES.matcher(text);
                while (matcher.find()) {
                    counts.put(node + "/" + matcher.group(1), Long.parseLong(matcher.group(2)));
                }
            }
        }
        return counts;
    }

    /** The proxy's view of a repository's replicas (generations, health, live checksums). */
    RepositoryStateResponse state(String path) throws Exception {
        try (ClientEndpoint.Connection admin = endpoint("admin-1", "proxy-1", Role.PROXY, true).open()) {
            return ProxyAdminGrpc.newBlockingStub(admin.calls()).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .getRepositoryState(GetRepositoryStateRequest.newBuilder().setRelativePath(path).build());
        }
    }

    /** mTLS to {@code node} as the cluster's {@code client} identity (its current files), its CRL checked or not. */
    ClientEndpoint endpoint(String client, String node, Role role, boolean checkCrl) throws Exception {
        Path files = dir.resolve("clients/" + client + "/tls");
        return new ClientEndpoint(new ListenAddress("127.0.0.1", tlsPorts().get(node)), false, files.resolve("roots.pem"),
                checkCrl ? files.resolve("crl.pem") : null, files.resolve("chain.pem"), files.resolve("key.pem"),
                NodeIdentity.of(trustDomain, role.name().toLowerCase(Locale.ROOT), node), null);
    }
}
