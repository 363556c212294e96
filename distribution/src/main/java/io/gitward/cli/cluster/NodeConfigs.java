package io.gitward.cli.cluster;

import io.gitward.security.files.SecureFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The config file of each local node: its identity files, its loopback listeners, the cluster's phase;
 * storage nodes serve the virtual storage, the proxy names the storage nodes and the standalone coordinator.
 */
final class NodeConfigs {
    static final String VIRTUAL_STORAGE = "default";

    private final ClusterLayout layout;
    private final ClusterManifest manifest;
    private final List<String> extraLines;

    NodeConfigs(ClusterLayout layout, ClusterManifest manifest) {
        this(layout, manifest, List.of());
    }

    /** {@code extraLines} go into every node's config before its phase (e.g. the TLS provider of a benchmark). */
    NodeConfigs(ClusterLayout layout, ClusterManifest manifest, List<String> extraLines) {
        this.layout = layout;
        this.manifest = manifest;
        this.extraLines = List.copyOf(extraLines);
    }

    Path write(ClusterManifest.Node node) throws IOException {
        return write(node, false);
    }

    /** With {@code allowDowngrade}, the running node accepts this config's lower phase on reload. */
    Path write(ClusterManifest.Node node, boolean allowDowngrade) throws IOException {
        Path dir = layout.nodeDir(node.name());
        List<String> lines = new ArrayList<>(List.of(
                "# Written by ./gitward up; ./gitward phase changes security.phase in place.",
                "node.name = " + quote(node.name()),
                "node.data-dir = " + quote(ClusterLayout.data(dir)),
                "listen.grpc-tls = " + quote(node.tlsAddress()),
                "listen.grpc-plaintext = " + quote(node.plaintextAddress()),
                "listen.health = " + quote(node.healthAddress()),
                "listen.http-tls = " + (node.httpTlsAddress() == null ? "null" : quote(node.httpTlsAddress())),
                "listen.http-health = " + (node.httpHealthAddress() == null ? "null" : quote(node.httpHealthAddress())),
                "security.trust-domain = " + quote(manifest.trustDomain()),
                "security.tls.key = " + quote(ClusterLayout.key(dir)),
                "security.tls.certificate-chain = " + quote(ClusterLayout.chain(dir)),
                "security.trust.roots = " + quote(ClusterLayout.roots(dir)),
                "security.trust.crls = [" + quote(ClusterLayout.crl(dir)) + "]",
                "security.tokens.file = " + quote(ClusterLayout.token(dir))));
        switch (node.kind()) {
            case "storage" -> {
                lines.add("storage.root = " + quote(storageRoot(dir)));
                lines.add("storage.name = " + quote(VIRTUAL_STORAGE));
            }
            case "proxy" -> lines.addAll(proxyLines());
            case "gateway" -> lines.addAll(gatewayLines(node));
            default -> {
            }
        }
        lines.addAll(extraLines);
        lines.add("security.phase = " + manifest.phase());
        if (allowDowngrade) {
            lines.add("security.allow-downgrade = true");
        }
        Path config = ClusterLayout.config(dir);
        SecureFiles.writePublic(config, String.join("\n", lines) + "\n");
        return config;
    }

    /** Where a local storage node keeps its repositories. */
    static Path storageRoot(Path nodeDir) {
        return nodeDir.resolve("repos");
    }

    private List<String> proxyLines() {
        List<String> storages = new ArrayList<>();
        for (ClusterManifest.Node storage : manifest.ofKind("storage")) {
            storages.add("{name = " + quote(storage.name()) + ", tls-address = " + quote(storage.tlsAddress())
                    + ", plaintext-address = " + quote(storage.plaintextAddress())
                    + ", health-address = " + quote(storage.healthAddress()) + "}");
        }
        ClusterManifest.Node coordinator = manifest.ofKind("coordinator").get(0);
        return List.of(
                "proxy.virtual-storage = " + quote(VIRTUAL_STORAGE),
                "proxy.storages = [" + String.join(", ", storages) + "]",
                "proxy.coordinator.mode = standalone",
                "proxy.coordinator.name = " + quote(coordinator.name()),
                "proxy.coordinator.tls-address = " + quote(coordinator.tlsAddress()),
                "proxy.coordinator.plaintext-address = " + quote(coordinator.plaintextAddress()));
    }

    private List<String> gatewayLines(ClusterManifest.Node gateway) {
        ClusterManifest.Node proxy = manifest.proxy();
        return List.of(
                "gateway.listen = " + quote(gateway.gitHttpsAddress()),
                "gateway.proxy.address = " + quote(proxy.tlsAddress()),
                "gateway.proxy.identity = " + quote("spiffe://" + manifest.trustDomain() + "/proxy/" + proxy.name()),
                "gateway.virtual-storage = " + quote(VIRTUAL_STORAGE));
    }

    private static String quote(Object value) {
        return "\"" + value.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
