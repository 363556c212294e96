package io.gitward.tests.security;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeKind;
import io.gitward.security.server.NodeRuntime;
import io.gitward.security.server.NodeSettings;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A node's real runtime (config file, security runtime, Netty listeners on port 0) inside the test JVM,
 * serving the {@link ProbeService}. Used where the subject is the security runtime itself; end-to-end
 * tests start real processes instead.
 */
public final class InProcessNode implements AutoCloseable {
    private final NodeRuntime runtime;
    private final Path config;

    private InProcessNode(NodeRuntime runtime, Path config) {
        this.runtime = runtime;
        this.config = config;
    }

    /** A node running {@code application} (a real node kind) instead of the probe. */
    public static InProcessNode start(NodeKind kind, Path config, NodeApplication application) throws Exception {
        return new InProcessNode(NodeRuntime.start(kind, config, Map.of(), application), config);
    }

    static InProcessNode start(NodeKind kind, Path config) throws Exception {
        NodeApplication probe = new NodeApplication() {
            @Override
            public void configure(GitwardConfig config, NodeSettings settings) {
            }

            @Override
            public List<BindableService> services(io.gitward.security.runtime.SecurityRuntime security) {
                ServerServiceDefinition definition = ProbeService.definition();
                return List.of(() -> definition);
            }
        };
        return new InProcessNode(NodeRuntime.start(kind, config, Map.of(), probe), config);
    }

    public int port(String listener) {
        String address = runtime.ready().listeners().get(listener);
        if (address == null) {
            return -1;
        }
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    public int tlsPort() {
        return port(NodeSettings.GRPC_TLS);
    }

    public int plaintextPort() {
        return port(NodeSettings.GRPC_PLAINTEXT);
    }

    public NodeRuntime runtime() {
        return runtime;
    }

    /** Rewrites the config file (atomically) and lets the node pick the change up. */
    void rewriteConfig(String hocon) throws Exception {
        Path temporary = config.resolveSibling(config.getFileName() + ".new");
        Files.writeString(temporary, hocon);
        Files.move(temporary, config, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void close() {
        runtime.close();
    }
}
