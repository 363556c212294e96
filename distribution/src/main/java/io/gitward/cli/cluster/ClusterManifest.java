package io.gitward.cli.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.gitward.security.files.SecureFiles;
import io.gitward.security.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * What a local cluster is: its trust domain, the phase it runs at and since when, its certificates' and CRL's
 * lifetimes, and its nodes in start order (the proxy last) with their ports. Written by {@code up}, changed by
 * {@code phase}; pids and readiness are read from the nodes' own files.
 */
public record ClusterManifest(String schema, String trustDomain, int phase, String phaseSince, long leafTtlSeconds,
        long crlValiditySeconds, List<Node> nodes) {
    public static final String SCHEMA = "gitward.cluster/v1";

    /**
     * One node: its name (the certificate's), kind, and loopback ports (gRPC TLS, plaintext and health; HTTPS
     * operator endpoints and HTTP health; a gateway's Git HTTPS). Every listener gets its port up front,
     * so peers can be configured before the node starts and a phase change that opens the plaintext listener
     * again finds it where the others expect it.
     */
    public record Node(String name, String kind, int tlsPort, int plaintextPort, int healthPort, int httpTlsPort,
            int httpHealthPort, int gitHttpsPort) {
        /** The role in this node's certificate ({@code edge} for a gateway). */
        public io.gitward.security.identity.Role role() {
            return io.gitward.security.server.NodeKind.fromWireName(kind).orElseThrow(
                    () -> new IllegalStateException("unknown node kind '" + kind + "' in the manifest")).role();
        }

        /** A gateway's Git HTTPS listener; null for other kinds. */
        public String gitHttpsAddress() {
            return gitHttpsPort == 0 ? null : "127.0.0.1:" + gitHttpsPort;
        }

        public String tlsAddress() {
            return "127.0.0.1:" + tlsPort;
        }

        public String plaintextAddress() {
            return "127.0.0.1:" + plaintextPort;
        }

        public String healthAddress() {
            return "127.0.0.1:" + healthPort;
        }

        /** The HTTPS operator endpoints (metrics, readiness); null in a manifest written before they existed. */
        public String httpTlsAddress() {
            return httpTlsPort == 0 ? null : "127.0.0.1:" + httpTlsPort;
        }

        /** The plaintext HTTP health probe; null in a manifest written before it existed. */
        public String httpHealthAddress() {
            return httpHealthPort == 0 ? null : "127.0.0.1:" + httpHealthPort;
        }
    }

    public ClusterManifest {
        nodes = List.copyOf(nodes);
        // A manifest without the time counts every audit entry since the beginning.
        phaseSince = phaseSince == null ? java.time.Instant.EPOCH.toString() : phaseSince;
    }

    public Node proxy() {
        return nodes.stream().filter(node -> node.kind().equals("proxy")).findFirst()
                .orElseThrow(() -> new IllegalStateException("the manifest names no proxy"));
    }

    public List<Node> ofKind(String kind) {
        return nodes.stream().filter(node -> node.kind().equals(kind)).toList();
    }

    /** The same cluster, at phase {@code next} since {@code since}. */
    public ClusterManifest withPhase(int next, java.time.Instant since) {
        return new ClusterManifest(schema, trustDomain, next, since.toString(), leafTtlSeconds, crlValiditySeconds, nodes);
    }

    public void write(Path file) throws IOException {
        SecureFiles.writePublic(file, (Json.write(this) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** The manifest of the cluster in {@code layout}, or a message saying there is none. */
    public static ClusterManifest read(ClusterLayout layout) throws ClusterException {
        Path file = layout.manifest();
        try {
            ClusterManifest manifest = Json.mapper().readValue(Files.readString(file, StandardCharsets.UTF_8),
                    ClusterManifest.class);
            if (!SCHEMA.equals(manifest.schema())) {
                throw new ClusterException(file + ": schema '" + manifest.schema() + "' is not " + SCHEMA);
            }
            return manifest;
        } catch (NoSuchFileException e) {
            throw new ClusterException("no cluster in " + layout.dir() + " (run ./gitward up"
                    + (layout.dir().equals(new ClusterLayout(ClusterLayout.DEFAULT).dir()) ? "" : " --dir " + layout.dir())
                    + ")");
        } catch (JsonProcessingException e) {
            throw new ClusterException(file + ": not a cluster manifest (" + e.getOriginalMessage() + "); remove the"
                    + " directory and run ./gitward up again");
        } catch (IOException e) {
            throw new ClusterException(file + ": cannot be read (" + e.getMessage() + ")");
        }
    }
}
