package io.gitward.cli.cluster;

import io.gitward.security.files.SecureFiles;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.server.ReadyFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A cluster of real node processes on this machine: a standalone coordinator, storage nodes, a proxy and a Git
 * HTTPS gateway in front of it, each with its own key and certificate, plus a supervisor that renews certificates
 * and the CRL. {@code up} provisions what is missing and starts everything; {@code down} stops it; the data stays
 * for the next {@code up}.
 */
public final class LocalCluster {
    public static final String DEFAULT_TRUST_DOMAIN = "local.gitward";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);

    private final ClusterLayout layout;
    private final PrintWriter out;

    public LocalCluster(ClusterLayout layout, PrintWriter out) {
        this.layout = layout;
        this.out = out;
    }

    /** What {@code up} was asked for; null phase: the cluster's current one (6 for a new cluster). */
    public record UpOptions(Integer phase, int storages, String trustDomain, Duration leafTtl, Duration crlValidity,
            NodeLaunch launch) {
        public UpOptions(Integer phase, int storages, String trustDomain, Duration leafTtl, Duration crlValidity) {
            this(phase, storages, trustDomain, leafTtl, crlValidity, NodeLaunch.DEFAULT);
        }
    }

    /**
     * How node processes are started beyond what {@code up} itself needs (used by {@code gitward bench}): extra
     * config lines for every node, JVM options (null: the small default of local nodes, or GITWARD_JAVA_OPTS), and
     * CPUs to pin them to with {@code taskset -c} (null: not pinned).
     */
    public record NodeLaunch(List<String> extraConfig, String jvmOptions, String cpus) {
        public static final NodeLaunch DEFAULT = new NodeLaunch(List.of(), null, null);

        public NodeLaunch {
            extraConfig = List.copyOf(extraConfig);
        }
    }

    public ClusterManifest up(UpOptions options) throws ClusterException, InterruptedException {
        createDirectory(layout.dir());
        try (ClusterLock lock = ClusterLock.acquire(layout)) {
            Optional<ClusterManifest> existing = Files.exists(layout.manifest()) ? Optional.of(ClusterManifest.read(layout))
                    : Optional.empty();
            if (existing.isPresent()) {
                List<String> running = running(existing.get());
                if (!running.isEmpty()) {
                    throw new ClusterException("the cluster in " + layout.dir() + " is already running (" + String.join(", ",
                            running) + "); see ./gitward status" + dirOption() + ", or stop it with ./gitward down"
                            + dirOption());
                }
            }
            ClusterManifest manifest = plan(existing, options);
            try {
                manifest.write(layout.manifest());
            } catch (IOException e) {
                throw new ClusterException(layout.manifest() + ": " + e.getMessage(), e);
            }
            provision(manifest, options.launch());
            start(manifest, options.launch());
            return manifest;
        }
    }

    private ClusterManifest plan(Optional<ClusterManifest> existing, UpOptions options) throws ClusterException {
        if (options.phase() != null && (options.phase() < 0 || options.phase() > 6)) {
            throw new ClusterException("--phase " + options.phase() + ": expected 0 to 6");
        }
        if (options.storages() < 1 || options.storages() > 9) {
            throw new ClusterException("--storages " + options.storages() + ": expected 1 to 9");
        }
        String trustDomain = existing.map(ClusterManifest::trustDomain).orElse(options.trustDomain());
        try {
            TrustDomain.of(trustDomain);
        } catch (IllegalArgumentException e) {
            throw new ClusterException("--trust-domain '" + trustDomain + "': " + e.getMessage());
        }
        if (existing.isPresent()) {
            int had = existing.get().ofKind("storage").size();
            if (had != options.storages()) {
                throw new ClusterException(layout.dir() + " holds a cluster of " + had + " storage nodes, not "
                        + options.storages() + "; use --storages " + had + " or another --dir");
            }
            if (!existing.get().trustDomain().equals(options.trustDomain())
                    && !options.trustDomain().equals(DEFAULT_TRUST_DOMAIN)) {
                throw new ClusterException(layout.dir() + " holds trust domain " + existing.get().trustDomain()
                        + "; a cluster's trust domain does not change");
            }
        }
        int phase = options.phase() != null ? options.phase() : existing.map(ClusterManifest::phase).orElse(6);
        List<String> names = new ArrayList<>(List.of("coordinator-1"));
        for (int i = 1; i <= options.storages(); i++) {
            names.add("storage-" + i);
        }
        names.add("proxy-1");
        names.add("gateway-1");
        int perNode = 6;
        List<Integer> ports = freePorts(names.size() * perNode);
        List<ClusterManifest.Node> nodes = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            int first = perNode * i;
            String kind = name.substring(0, name.indexOf('-'));
            nodes.add(new ClusterManifest.Node(name, kind, ports.get(first), ports.get(first + 1), ports.get(first + 2),
                    ports.get(first + 3), ports.get(first + 4), kind.equals("gateway") ? ports.get(first + 5) : 0));
        }
        String since = existing.filter(had -> had.phase() == phase).map(ClusterManifest::phaseSince)
                .orElse(Instant.now().toString());
        return new ClusterManifest(ClusterManifest.SCHEMA, trustDomain, phase, since, options.leafTtl().toSeconds(),
                options.crlValidity().toSeconds(), nodes);
    }

    /** Keys, certificates, bundle, CRL and token for every node and client that lacks them or is due. */
    private void provision(ClusterManifest manifest, NodeLaunch launch) throws ClusterException {
        LocalPki pki = LocalPki.openOrCreate(layout, manifest.trustDomain(), Duration.ofSeconds(manifest.leafTtlSeconds()),
                Duration.ofSeconds(manifest.crlValiditySeconds()));
        Instant now = Instant.now();
        if (pki.crlDue(now)) {
            pki.resignCrl(Duration.ofSeconds(manifest.crlValiditySeconds()));
        }
        byte[] token = tokenSecret();
        for (Map.Entry<Path, Role> identity : identities(manifest).entrySet()) {
            Path dir = identity.getKey();
            if (Renewals.leafDue(ClusterLayout.chain(dir), Duration.ofSeconds(manifest.leafTtlSeconds()), now)) {
                pki.provision(identity.getValue(), dir.getFileName().toString(), dir);
            } else {
                pki.refreshTrust(dir);
            }
            try {
                SecureFiles.writePrivate(ClusterLayout.token(dir), token);
            } catch (IOException e) {
                throw new ClusterException(ClusterLayout.token(dir) + ": " + e.getMessage(), e);
            }
        }
        NodeConfigs configs = new NodeConfigs(layout, manifest, launch.extraConfig());
        for (ClusterManifest.Node node : manifest.nodes()) {
            try {
                configs.write(node);
            } catch (IOException e) {
                throw new ClusterException(ClusterLayout.config(layout.nodeDir(node.name())) + ": " + e.getMessage(), e);
            }
        }
    }

    /** Every identity directory of the cluster with its role: nodes, then the operator's client and admin. */
    Map<Path, Role> identities(ClusterManifest manifest) {
        Map<Path, Role> identities = new LinkedHashMap<>();
        for (ClusterManifest.Node node : manifest.nodes()) {
            identities.put(layout.nodeDir(node.name()), node.role());
        }
        identities.put(layout.clientDir(LocalIdentities.CLIENT), Role.CLIENT);
        identities.put(layout.clientDir(LocalIdentities.ADMIN), Role.ADMIN);
        return identities;
    }

    private byte[] tokenSecret() throws ClusterException {
        try {
            if (!Files.exists(layout.tokenSecret())) {
                byte[] secret = new byte[32];
                new SecureRandom().nextBytes(secret);
                SecureFiles.writePrivate(layout.tokenSecret(), (HexFormat.of().formatHex(secret) + "\n").getBytes(
                        java.nio.charset.StandardCharsets.US_ASCII));
            }
            return Files.readAllBytes(layout.tokenSecret());
        } catch (IOException e) {
            throw new ClusterException(layout.tokenSecret() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Coordinator and storage nodes together, then the proxy, then the gateway in front of it, then the supervisor;
     * on failure stops them all.
     */
    private void start(ClusterManifest manifest, NodeLaunch launch) throws ClusterException, InterruptedException {
        List<ClusterManifest.Node> first = manifest.nodes().stream()
                .filter(node -> !node.kind().equals("proxy") && !node.kind().equals("gateway")).toList();
        try {
            awaitAll(manifest, first, launch);
            awaitAll(manifest, List.of(manifest.proxy()), launch);
            awaitAll(manifest, manifest.ofKind("gateway"), launch);
            NodeProcesses.startDetached(layout.supervisorLog(), layout.supervisorPid(), "supervise", "--dir",
                    layout.dir().toString());
        } catch (ClusterException | InterruptedException e) {
            stopAll(manifest);
            throw e;
        }
    }

    private void awaitAll(ClusterManifest manifest, List<ClusterManifest.Node> nodes, NodeLaunch launch)
            throws ClusterException, InterruptedException {
        Map<ClusterManifest.Node, Long> pids = new LinkedHashMap<>();
        for (ClusterManifest.Node node : nodes) {
            pids.put(node, NodeProcesses.start(layout, node, launch));
        }
        for (Map.Entry<ClusterManifest.Node, Long> started : pids.entrySet()) {
            ReadyFile ready = NodeProcesses.awaitReady(layout, started.getKey(), started.getValue(), READY_TIMEOUT);
            out.printf("  %-14s pid %-7d %s%n", started.getKey().name(), started.getValue(), ready.listeners());
        }
    }

    /** Stops the supervisor and every node (the proxy first); returns the names that were running. */
    public List<String> down() throws ClusterException, InterruptedException {
        try (ClusterLock lock = ClusterLock.acquire(layout)) {
            return stopAll(ClusterManifest.read(layout));
        }
    }

    private List<String> stopAll(ClusterManifest manifest) throws InterruptedException {
        List<String> stopped = new ArrayList<>();
        if (NodeProcesses.stop(layout.supervisorPid(), "supervise", STOP_GRACE)) {
            stopped.add("supervisor");
        }
        List<ClusterManifest.Node> reversed = new ArrayList<>(manifest.nodes());
        java.util.Collections.reverse(reversed);
        for (ClusterManifest.Node node : reversed) {
            Path dir = layout.nodeDir(node.name());
            if (NodeProcesses.stop(ClusterLayout.pid(dir), ClusterLayout.config(dir).toString(), STOP_GRACE)) {
                stopped.add(node.name());
            }
        }
        return stopped;
    }

    /** Removes the cluster's directory (after down): repositories, certificates, the CA. */
    public void purge() throws ClusterException {
        if (!running(ClusterManifest.read(layout)).isEmpty()) {
            throw new ClusterException("the cluster in " + layout.dir() + " is running; stop it first");
        }
        try (Stream<Path> files = Files.walk(layout.dir())) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new ClusterException("cannot remove " + layout.dir() + ": " + e.getMessage(), e);
        }
    }

    /** "name pid N" of each node process (and the supervisor) still running. */
    List<String> running(ClusterManifest manifest) {
        List<String> running = new ArrayList<>();
        NodeProcesses.running(layout.supervisorPid(), "supervise").ifPresent(handle -> running.add("supervisor pid "
                + handle.pid()));
        for (ClusterManifest.Node node : manifest.nodes()) {
            NodeProcesses.running(layout, node).ifPresent(handle -> running.add(node.name() + " pid " + handle.pid()));
        }
        return running;
    }

    private String dirOption() {
        return layout.dir().equals(new ClusterLayout(ClusterLayout.DEFAULT).dir()) ? "" : " --dir " + layout.dir();
    }

    private static void createDirectory(Path dir) throws ClusterException {
        try {
            SecureFiles.createDirectories(dir, SecureFiles.OWNER_ONLY_DIRECTORY);
        } catch (IOException e) {
            throw new ClusterException("cannot create " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Distinct free loopback ports, found by binding port 0 (held until all are found). */
    private static List<Integer> freePorts(int count) throws ClusterException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            Set<Integer> ports = new LinkedHashSet<>();
            while (ports.size() < count) {
                ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(socket);
                ports.add(socket.getLocalPort());
            }
            return List.copyOf(ports);
        } catch (IOException e) {
            throw new ClusterException("cannot find free loopback ports: " + e.getMessage(), e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // Closing a listening socket we own does not fail in a way that matters here.
                }
            }
        }
    }
}
