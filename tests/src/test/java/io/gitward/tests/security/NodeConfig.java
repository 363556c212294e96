package io.gitward.tests.security;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Builds a node's HOCON config for tests, one line per setting. */
public final class NodeConfig {
    private final List<String> lines = new ArrayList<>();

    public static NodeConfig node(String name, Path dataDir) {
        NodeConfig config = new NodeConfig();
        config.set("node.name", quote(name));
        config.set("node.data-dir", quote(dataDir.toString()));
        config.set("listen.grpc-plaintext", quote("127.0.0.1:0"));
        config.set("listen.grpc-tls", quote("127.0.0.1:0"));
        config.set("security.reload.interval", "100ms");
        return config;
    }

    public NodeConfig set(String key, String value) {
        lines.removeIf(line -> line.startsWith(key + " = "));
        lines.add(key + " = " + value);
        return this;
    }

    public NodeConfig path(String key, Path value) {
        return set(key, quote(value.toString()));
    }

    public NodeConfig identity(TestPki pki, TestPki.NodeFiles files) {
        set("security.trust-domain", quote(pki.trustDomain()));
        path("security.tls.key", files.key());
        path("security.tls.certificate-chain", files.chain());
        path("security.trust.roots", pki.roots());
        set("security.trust.crls", "[" + quote(pki.crl().toString()) + "]");
        if (java.nio.file.Files.exists(pki.authority().layout().intermediateCertificate())) {
            set("security.trust.intermediates", "[" + quote(pki.authority().layout().intermediateCertificate().toString())
                    + "]");
        }
        return this;
    }

    public String render() {
        return String.join("\n", lines) + "\n";
    }

    public Path write(Path file) throws Exception {
        Files.writeString(file, render());
        return file;
    }

    public static String quote(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
