package io.gitward.security.server;

import io.gitward.security.config.ConfigException;
import io.gitward.security.config.GitwardConfig;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a node the same way for every kind: load and validate the whole config (nothing binds
 * before it passes), bind every listener, then write {@code ready.json}. Shutdown removes the ready
 * file first, stops accepting, and lets in-flight RPCs finish within {@code node.shutdown-grace}.
 */
public final class NodeRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRuntime.class);

    private final NodeSettings settings;
    private final NodeApplication application;
    private final List<Server> servers;
    private final HealthStatusManager health;
    private final ReadyFile ready;
    private boolean stopped;

    private NodeRuntime(NodeSettings settings, NodeApplication application, List<Server> servers,
            HealthStatusManager health, ReadyFile ready) {
        this.settings = settings;
        this.application = application;
        this.servers = servers;
        this.health = health;
        this.ready = ready;
    }

    /**
     * Loads {@code configFile} and starts the node.
     *
     * @throws ConfigException    listing every config problem; nothing was bound
     * @throws NodeStartException when a listener cannot bind or the ready file cannot be written; nothing stays bound
     */
    public static NodeRuntime start(NodeKind kind, Path configFile, Map<String, String> environment,
            NodeApplication application) throws ConfigException, NodeStartException {
        GitwardConfig config = GitwardConfig.load(configFile, environment);
        NodeSettings settings = NodeSettings.read(config, kind);
        application.configure(config, settings);
        config.problems().throwIfAny(config.source());
        return start(settings, application);
    }

    static NodeRuntime start(NodeSettings settings, NodeApplication application) throws NodeStartException {
        try {
            Files.createDirectories(settings.dataDirectory());
        } catch (IOException e) {
            throw new NodeStartException("node.data-dir: " + settings.dataDirectory() + " cannot be created ("
                    + e.getMessage() + ")", e);
        }
        String version = versionOf(NodeRuntime.class);
        HealthStatusManager health = new HealthStatusManager();
        List<Server> servers = new ArrayList<>();
        Map<String, String> bound = new LinkedHashMap<>();
        NodeInfoService nodeInfo = new NodeInfoService(settings, version, () -> Map.copyOf(bound));
        List<BindableService> services = new ArrayList<>(application.services());
        services.add(nodeInfo);
        try {
            for (Map.Entry<String, ListenAddress> listener : settings.listeners().entrySet()) {
                NettyServerBuilder builder = NettyServerBuilder.forAddress(listener.getValue().toSocketAddress());
                if (listener.getKey().equals(NodeSettings.HEALTH)) {
                    builder.addService(health.getHealthService());
                } else if (listener.getKey().equals(NodeSettings.GRPC_PLAINTEXT)) {
                    services.forEach(builder::addService);
                } else {
                    // The TLS listener is built by the security runtime; until it is configured, it stays closed.
                    continue;
                }
                Server server = bind(builder, listener.getKey(), listener.getValue());
                servers.add(server);
                bound.put(listener.getKey(), ListenAddress.format((InetSocketAddress) server.getListenSockets().get(0)));
            }
            health.setStatus("", ServingStatus.SERVING);
            ReadyFile ready = new ReadyFile(ReadyFile.SCHEMA, settings.kind().wireName(), settings.name(),
                    ProcessHandle.current().pid(), settings.identity() == null ? null : settings.identity().spiffeId(),
                    settings.phase(), version, Instant.now().truncatedTo(ChronoUnit.MILLIS).toString(), bound);
            writeReady(settings.readyFile(), ready);
            LOG.info("{} node '{}' ready: {} (phase {}, identity {})", settings.kind(), settings.name(), bound,
                    settings.phase(), ready.identity() == null ? "none" : ready.identity());
            return new NodeRuntime(settings, application, servers, health, ready);
        } catch (NodeStartException | RuntimeException e) {
            servers.forEach(Server::shutdownNow);
            throw e;
        }
    }

    private static Server bind(NettyServerBuilder builder, String listener, ListenAddress address)
            throws NodeStartException {
        try {
            return builder.build().start();
        } catch (IOException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            String why = cause instanceof BindException ? "address already in use or not local (is another node running?"
                    + " choose another port, or 0)" : cause.getMessage();
            throw new NodeStartException("listen." + listener + ": cannot bind " + address.host() + ":" + address.port()
                    + ": " + why, e);
        }
    }

    private static void writeReady(Path file, ReadyFile ready) throws NodeStartException {
        try {
            ready.write(file);
        } catch (IOException e) {
            throw new NodeStartException("node.ready-file: " + file + " cannot be written (" + e.getMessage() + ")", e);
        }
    }

    public ReadyFile ready() {
        return ready;
    }

    public NodeSettings settings() {
        return settings;
    }

    /** Blocks until every listener has terminated. */
    public void awaitTermination() throws InterruptedException {
        for (Server server : servers) {
            server.awaitTermination();
        }
    }

    /** Graceful stop: ready file removed, health NOT_SERVING, no new calls, in-flight calls finish within the grace. */
    @Override
    public synchronized void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        try {
            Files.deleteIfExists(settings.readyFile());
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", settings.readyFile(), e.getMessage());
        }
        health.enterTerminalState();
        servers.forEach(Server::shutdown);
        long deadline = System.nanoTime() + settings.shutdownGrace().toNanos();
        for (Server server : servers) {
            try {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0 || !server.awaitTermination(remaining, TimeUnit.NANOSECONDS)) {
                    server.shutdownNow();
                }
            } catch (InterruptedException e) {
                server.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        try {
            application.close();
        } catch (Exception e) {
            LOG.warn("{} node '{}' did not close cleanly: {}", settings.kind(), settings.name(), e.toString());
        }
        LOG.info("{} node '{}' stopped", settings.kind(), settings.name());
    }

    static String versionOf(Class<?> type) {
        String version = type.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
