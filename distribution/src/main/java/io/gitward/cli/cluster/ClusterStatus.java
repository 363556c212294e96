package io.gitward.cli.cluster;

import io.gitward.cli.client.ClientEndpoint;
import io.gitward.pki.CaLayout;
import io.gitward.proto.GetClusterStatusRequest;
import io.gitward.proto.ProxyAdminGrpc;
import io.gitward.proto.SecurityStatus;
import io.gitward.proto.StorageNodeStatus;
import io.gitward.proto.TrustedDomain;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What {@code status} reports, gathered from the files and by asking every running node over its admin API:
 * processes, addresses, the phase and each flag with its source, certificate serial and expiry, the loaded
 * bundle fingerprints and CRLs, and the proxy's view of its storage nodes.
 */
public record ClusterStatus(String dir, String trustDomain, int phase, Process supervisor, List<Node> nodes,
        List<Storage> storages, String caNotAfter, String crlNextUpdate) {

    /** A process: running or not, and its pid. */
    public record Process(boolean running, Long pid) {
    }

    /** One node as its files and its admin API describe it; {@code error} says why a part is missing. */
    public record Node(String name, String kind, boolean running, Long pid, boolean ready, String tlsAddress,
            Integer phase, Map<String, String> flags, Map<String, String> flagSources, String certificateSerial,
            String certificateNotAfter, List<String> rootFingerprints, List<String> crls, String error) {
    }

    /** A storage node as the proxy's health checks see it. */
    public record Storage(String name, boolean healthy, int failedChecks, String lastError) {
    }

    /** True when every node runs, is ready and answered. */
    public boolean healthy() {
        return nodes.stream().allMatch(node -> node.running() && node.ready() && node.error() == null)
                && storages.stream().allMatch(Storage::healthy);
    }

    static ClusterStatus gather(ClusterLayout layout) throws ClusterException {
        ClusterManifest manifest = ClusterManifest.read(layout);
        List<Node> nodes = new ArrayList<>();
        List<Storage> storages = new ArrayList<>();
        for (ClusterManifest.Node node : manifest.nodes()) {
            nodes.add(node(layout, manifest, node));
            if (node.kind().equals("proxy") && nodes.get(nodes.size() - 1).error() == null) {
                storages.addAll(storages(layout, manifest, node));
            }
        }
        Process supervisor = NodeProcesses.running(layout.supervisorPid(), "supervise")
                .map(handle -> new Process(true, handle.pid())).orElse(new Process(false, null));
        return new ClusterStatus(layout.dir().toString(), manifest.trustDomain(), manifest.phase(), supervisor, nodes,
                storages, caNotAfter(layout), crlNextUpdate(layout));
    }

    private static Node node(ClusterLayout layout, ClusterManifest manifest, ClusterManifest.Node node) {
        var process = NodeProcesses.running(layout, node);
        boolean ready = Files.isRegularFile(ClusterLayout.ready(layout.nodeDir(node.name())));
        if (process.isEmpty()) {
            return new Node(node.name(), node.kind(), false, null, false, node.tlsAddress(), null, Map.of(), Map.of(), null,
                    null, List.of(), List.of(), "not running");
        }
        Long pid = process.get().pid();
        try {
            SecurityStatus status = NodeAdmin.securityStatus(layout, manifest, node, manifest.phase());
            List<String> roots = new ArrayList<>();
            List<String> crls = new ArrayList<>();
            for (TrustedDomain domain : status.getTrustedDomainsList()) {
                roots.addAll(domain.getRootFingerprintsList());
                crls.addAll(domain.getCrlsList());
            }
            return new Node(node.name(), node.kind(), true, pid, ready, node.tlsAddress(), status.getPhase(),
                    new TreeMap<>(status.getFlagsMap()), new TreeMap<>(status.getFlagSourcesMap()),
                    status.getCertificateSerial(), status.getCertificateNotAfter(), roots, crls, null);
        } catch (ClusterException e) {
            return failed(node, pid, ready, e.getMessage());
        }
    }

    private static Node failed(ClusterManifest.Node node, Long pid, boolean ready, String error) {
        return new Node(node.name(), node.kind(), true, pid, ready, node.tlsAddress(), null, Map.of(), Map.of(), null, null,
                List.of(), List.of(), error);
    }

    private static List<Storage> storages(ClusterLayout layout, ClusterManifest manifest, ClusterManifest.Node proxy) {
        List<Storage> storages = new ArrayList<>();
        try (ClientEndpoint.Connection connection = NodeAdmin.open(layout, manifest, proxy, manifest.phase())) {
            for (StorageNodeStatus storage : ProxyAdminGrpc.newBlockingStub(connection.calls())
                    .withDeadlineAfter(10, TimeUnit.SECONDS).getClusterStatus(GetClusterStatusRequest.getDefaultInstance())
                    .getStoragesList()) {
                storages.add(new Storage(storage.getName(), storage.getHealthy(), storage.getFailedChecks(),
                        storage.getLastError().isEmpty() ? null : storage.getLastError()));
            }
        } catch (ClusterException | StatusRuntimeException e) {
            // The proxy's own entry already says why it did not answer.
        }
        return storages;
    }

    private static String caNotAfter(ClusterLayout layout) {
        return text(Renewals.notAfter(new CaLayout(layout.pki()).rootCertificate()));
    }

    private static String crlNextUpdate(ClusterLayout layout) {
        return text(Renewals.crlNextUpdate(new CaLayout(layout.pki()).crl()));
    }

    private static String text(java.time.Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
