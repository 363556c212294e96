package io.gitward.security.server;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.runtime.SecurityRuntime;
import io.grpc.BindableService;
import java.util.List;
import java.util.Set;

/**
 * What a kind of node adds to the shared runtime: its own config section and its gRPC services.
 * The runtime owns listeners, security, health, node info and the ready file.
 */
public interface NodeApplication extends AutoCloseable {
    /** Reads and validates this kind's keys, recording problems in {@code config}; binds nothing. */
    void configure(GitwardConfig config, NodeSettings settings);

    /**
     * The services this node serves on its gRPC listeners. Called once, after configuration passed and the
     * security runtime loaded (services read the caller and the authorization mode from it).
     */
    List<BindableService> services(SecurityRuntime security);

    /**
     * The names of this node's services (as in {@code gitward.RefService}) whose handlers never block: they run on
     * the gRPC transport threads, one thread hand-off less per event. When any is named, every other service runs
     * on an executor of the runtime, as all do when none is named (the default).
     */
    default Set<String> transportServices() {
        return Set.of();
    }

    /**
     * Called once every listener is bound, before the ready file is written, with the bound addresses by
     * listener name ("grpc-tls" to "127.0.0.1:9001"): what a node must tell peers about itself.
     */
    default void started(java.util.Map<String, String> listeners) {
    }

    /**
     * Binds the listeners this kind serves itself, outside gRPC (the gateway's Git HTTPS listener), once the
     * gRPC listeners are bound. Returns the bound addresses by listener name, for the ready file; the
     * application closes them in {@link #close()}.
     */
    default java.util.Map<String, String> openOwnListeners(SecurityRuntime security) throws NodeStartException {
        return java.util.Map.of();
    }

    /**
     * Stops the listeners {@link #openOwnListeners} opened, letting open exchanges end within {@code grace}; called at
     * shutdown with the runtime's own listeners, while the shared event loops still run.
     */
    default void closeOwnListeners(java.time.Duration grace) {
    }

    /** This kind's own metrics in the Prometheus text format, appended to the security metrics. */
    default String prometheusText() {
        return "";
    }

    /** Releases what the node holds (repositories, connections) after the listeners stopped. */
    @Override
    default void close() {
    }
}
