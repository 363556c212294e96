package io.gitward.security.server;

import io.gitward.security.config.ConfigException;
import io.gitward.security.config.GitwardConfig;
import io.gitward.security.http.HttpListener;
import io.gitward.security.http.NodeStatus;
import io.gitward.security.http.OperatorListeners;
import io.gitward.security.phase.EffectiveFlags;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.security.runtime.SecuritySettings;
import io.gitward.security.runtime.SecurityStartException;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a node the same way for every kind: load and validate the whole config (nothing binds before it
 * passes), load the security material, bind every listener, then write {@code ready.json}. While running it
 * re-reads the config file and applies a phase change (flags, client-auth, plaintext listener) without a
 * restart. Shutdown removes the ready file first, stops accepting, and lets in-flight RPCs finish within
 * {@code node.shutdown-grace}.
 */
public final class NodeRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRuntime.class);

    private final Path configFile;
    private final Map<String, String> environment;
    private final NodeSettings settings;
    private final NodeApplication application;
    private final SecurityRuntime security;
    private final List<BindableService> services;
    private final Map<String, Server> servers = new ConcurrentHashMap<>();
    private final Map<String, HttpListener> httpListeners = new ConcurrentHashMap<>();
    private final OperatorListeners operatorListeners;
    /** Ready file written and not stopping: what /readyz reports. */
    private volatile boolean readyNow;
    /** What the health services report: SERVING from start until shutdown begins. */
    private volatile boolean serving;
    private final Map<String, String> bound = new ConcurrentHashMap<>();
    private final HealthStatusManager health = new HealthStatusManager();
    private final String version = versionOf(NodeRuntime.class);
    private final String startedAt = Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
    private final ScheduledExecutorService configWatcher;
    /** Runs the calls of services that may block, when the gRPC listeners run calls on their transport threads. */
    private final ExecutorService callExecutor;
    private volatile String configSignature;
    private volatile ReadyFile ready;
    private final java.util.concurrent.CountDownLatch terminated = new java.util.concurrent.CountDownLatch(1);
    private boolean stopped;

    private NodeRuntime(Path configFile, Map<String, String> environment, NodeSettings settings,
            NodeApplication application, SecurityRuntime security) {
        this.configFile = configFile;
        this.environment = Map.copyOf(environment);
        this.settings = settings;
        this.application = application;
        this.security = security;
        this.services = new ArrayList<>(application.services(security));
        this.services.add(new NodeInfoService(settings, version, () -> Map.copyOf(bound), this::servedMethods));
        this.services.add(new io.gitward.security.runtime.SecurityAdminService(security, application::prometheusText));
        this.operatorListeners = new OperatorListeners(security, new NodeStatus(() -> readyNow, () -> serving,
                application::prometheusText));
        this.configWatcher = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "gitward-config-reload");
            thread.setDaemon(true);
            return thread;
        });
        AtomicInteger callThreads = new AtomicInteger();
        this.callExecutor = application.transportServices().isEmpty() ? null : Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "gitward-calls-" + callThreads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Loads {@code configFile} and starts the node.
     *
     * @throws ConfigException    listing every config problem; nothing was bound
     * @throws NodeStartException when security material cannot be loaded, a listener cannot bind or the ready
     *                            file cannot be written; nothing stays bound
     */
    public static NodeRuntime start(NodeKind kind, Path configFile, Map<String, String> environment,
            NodeApplication application) throws ConfigException, NodeStartException {
        GitwardConfig config = GitwardConfig.load(configFile, environment);
        NodeSettings settings = NodeSettings.read(config, kind);
        SecuritySettings securitySettings = SecuritySettings.read(config, kind, settings.trustDomain(),
                settings.dataDirectory(), settings.tlsListenerConfigured());
        application.configure(config, settings);
        config.problems().throwIfAny(config.source());
        SecurityRuntime security;
        try {
            security = SecurityRuntime.create(securitySettings, kind, Clock.systemUTC());
        } catch (SecurityStartException e) {
            throw new NodeStartException(e.getMessage(), e);
        }
        NodeRuntime runtime;
        try {
            runtime = new NodeRuntime(configFile.toAbsolutePath(), environment, settings, application, security);
        } catch (RuntimeException e) {
            // The application could not set up its services (e.g. an unusable storage root): nothing is bound yet.
            security.close();
            application.close();
            throw new NodeStartException(e.getMessage(), e);
        }
        try {
            runtime.startListeners();
            runtime.security.start();
            runtime.configSignature = signature(runtime.configFile);
            long interval = securitySettings.reloadInterval().toMillis();
            runtime.configWatcher.scheduleWithFixedDelay(runtime::reloadConfigIfChanged, interval, interval,
                    TimeUnit.MILLISECONDS);
            return runtime;
        } catch (NodeStartException | RuntimeException e) {
            runtime.servers.values().forEach(Server::shutdownNow);
            runtime.httpListeners.values().forEach(HttpListener::close);
            security.close();
            application.close();
            throw e;
        }
    }

    private void startListeners() throws NodeStartException {
        try {
            Files.createDirectories(settings.dataDirectory());
        } catch (IOException e) {
            throw new NodeStartException("node.data-dir: " + settings.dataDirectory() + " cannot be created ("
                    + e.getMessage() + ")", e);
        }
        for (Map.Entry<String, ListenAddress> listener : settings.listeners().entrySet()) {
            String name = listener.getKey();
            if (NodeSettings.PLAINTEXT_LISTENERS.contains(name) && !security.phaseFlags().plaintextListener()) {
                LOG.info("plaintext listener {} stays closed (phase {})", listener.getValue(), security.flags().phase());
                continue;
            }
            open(name, listener.getValue());
        }
        bound.putAll(application.openOwnListeners(security));
        application.started(Map.copyOf(bound));
        health.setStatus("", ServingStatus.SERVING);
        serving = true;
        writeReady();
        readyNow = true;
        LOG.info("{} node '{}' ready: {} (phase {}, identity {})", settings.kind(), settings.name(), bound,
                security.flags().phase(), ready.identity() == null ? "none" : ready.identity());
    }

    private synchronized void open(String name, ListenAddress address) throws NodeStartException {
        if (name.startsWith("http-")) {
            openHttp(name, address);
            return;
        }
        NettyServerBuilder builder = NettyServerBuilder.forAddress(address.toSocketAddress());
        if (name.equals(NodeSettings.HEALTH)) {
            // Serving status only, for probes: deliberately outside TLS and authorization, not outside the limits.
            security.limitOnly(builder).addService(health.getHealthService());
        } else {
            security.secure(builder, name.equals(NodeSettings.GRPC_TLS));
            addServices(builder);
        }
        Server server = bind(builder, name, address);
        servers.put(name, server);
        bound.put(name, ListenAddress.format((InetSocketAddress) server.getListenSockets().get(0)));
    }

    /**
     * The services on a gRPC listener. When the application names services that never block, the listener runs
     * calls on its transport threads (one thread hand-off less per event) and every other service on
     * {@link #callExecutor}, as on a server with an executor.
     */
    private void addServices(NettyServerBuilder builder) {
        if (callExecutor == null) {
            services.forEach(builder::addService);
            return;
        }
        builder.directExecutor();
        Set<String> onTransport = application.transportServices();
        for (BindableService service : services) {
            ServerServiceDefinition definition = service.bindService();
            builder.addService(onTransport.contains(definition.getServiceDescriptor().getName())
                    ? GuardedCalls.guard(definition) : OffloadedCalls.offload(definition, callExecutor));
        }
    }

    private void openHttp(String name, ListenAddress address) throws NodeStartException {
        HttpListener listener;
        try {
            listener = operatorListeners.open(name, address.toSocketAddress());
        } catch (IOException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            String why = cause instanceof BindException ? "address already in use or not local (is another node running?"
                    + " choose another port, or 0)" : cause.getMessage();
            throw new NodeStartException("listen." + name + ": cannot bind " + address.format() + ": " + why, e);
        } catch (IllegalStateException e) {
            throw new NodeStartException("listen." + name + ": " + e.getMessage() + " (set security.tls.key and"
                    + " security.tls.certificate-chain, or remove listen." + name + ")", e);
        }
        httpListeners.put(name, listener);
        bound.put(name, ListenAddress.format(listener.address()));
    }

    private synchronized void closeListener(String name) {
        HttpListener http = httpListeners.remove(name);
        if (http != null) {
            bound.remove(name);
            http.close(settings.shutdownGrace());
            return;
        }
        Server server = servers.remove(name);
        bound.remove(name);
        if (server != null) {
            server.shutdown();
            try {
                if (!server.awaitTermination(settings.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
                    server.shutdownNow();
                }
            } catch (InterruptedException e) {
                server.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Re-reads the config file when it changed and applies what can change at runtime: the security flags. */
    void reloadConfigIfChanged() {
        String now = signature(configFile);
        if (now.equals(configSignature)) {
            return;
        }
        configSignature = now;
        try {
            GitwardConfig config = GitwardConfig.load(configFile, environment);
            NodeSettings next = NodeSettings.read(config, settings.kind());
            SecuritySettings nextSecurity = SecuritySettings.read(config, settings.kind(), next.trustDomain(),
                    next.dataDirectory(), next.tlsListenerConfigured());
            boolean allowDowngrade = config.bool("security.allow-downgrade");
            config.problems().throwIfAny(config.source());
            EffectiveFlags flags = nextSecurity.flags();
            if (flags.phase() < security.flags().phase() && !allowDowngrade) {
                LOG.error("REFUSED config reload: phase {} -> {} is a downgrade; set security.allow-downgrade = true to"
                        + " move down", security.flags().phase(), flags.phase());
                return;
            }
            if (!flags.equals(security.flags())) {
                applyFlags(flags);
            }
        } catch (ConfigException e) {
            LOG.error("REFUSED config reload, the running configuration stays: {}", e.getMessage());
        } catch (NodeStartException | RuntimeException e) {
            LOG.error("config reload failed, the running configuration stays: {}", e.getMessage());
        }
    }

    /** A phase change: open the TLS side first, then switch flags, then close plaintext, so no call fails. */
    private void applyFlags(EffectiveFlags flags) throws NodeStartException {
        boolean plaintextAllowed = flags.flags().plaintextListener();
        java.util.List<String> openNow = new ArrayList<>();
        for (String name : NodeSettings.PLAINTEXT_LISTENERS) {
            ListenAddress plaintext = settings.listeners().get(name);
            boolean open = servers.containsKey(name) || httpListeners.containsKey(name);
            if (open) {
                openNow.add(name);
            } else if (plaintext != null && plaintextAllowed) {
                open(name, plaintext);
            }
        }
        security.applyFlags(flags);
        if (!plaintextAllowed) {
            openNow.forEach(this::closeListener);
        }
        writeReady();
    }

    /**
     * What each open gRPC listener serves, read from its running server (the registered services, not a list kept
     * here), so a completeness check sees exactly what a caller can reach. Sorted by listener, then method.
     */
    private Map<String, List<String>> servedMethods() {
        Map<String, List<String>> served = new java.util.TreeMap<>();
        servers.forEach((name, server) -> served.put(name, server.getServices().stream()
                .flatMap(service -> service.getMethods().stream())
                .map(method -> method.getMethodDescriptor().getFullMethodName()).sorted().toList()));
        return served;
    }

    private synchronized void writeReady() throws NodeStartException {
        ReadyFile next = new ReadyFile(ReadyFile.SCHEMA, settings.kind().wireName(), settings.name(),
                ProcessHandle.current().pid(), settings.identity() == null ? null : settings.identity().spiffeId(),
                security.flags().phase(), version, startedAt, new LinkedHashMap<>(bound));
        try {
            next.write(settings.readyFile());
        } catch (IOException e) {
            throw new NodeStartException("node.ready-file: " + settings.readyFile() + " cannot be written (" + e.getMessage()
                    + ")", e);
        }
        ready = next;
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

    private static String signature(Path file) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return file.toRealPath() + "|" + attributes.fileKey() + "|" + attributes.size() + "|"
                    + attributes.lastModifiedTime().toMillis();
        } catch (IOException e) {
            return "missing";
        }
    }

    public ReadyFile ready() {
        return ready;
    }

    public NodeSettings settings() {
        return settings;
    }

    public SecurityRuntime security() {
        return security;
    }

    /** Blocks until the node has been closed. */
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    /**
     * Graceful stop: ready file removed, health NOT_SERVING, no new gRPC calls, in-flight calls finish within the
     * grace; the operator HTTP listeners stay open until then, answering 503 on {@code /readyz} and {@code /healthz}.
     */
    @Override
    public synchronized void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        readyNow = false;
        serving = false;
        configWatcher.shutdownNow();
        try {
            Files.deleteIfExists(settings.readyFile());
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", settings.readyFile(), e.getMessage());
        }
        health.enterTerminalState();
        servers.values().forEach(Server::shutdown);
        try {
            application.closeOwnListeners(settings.shutdownGrace());
        } catch (RuntimeException e) {
            LOG.warn("{} node '{}' did not close its listeners cleanly: {}", settings.kind(), settings.name(), e.toString());
        }
        long deadline = System.nanoTime() + settings.shutdownGrace().toNanos();
        for (Server server : servers.values()) {
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
        servers.clear();
        if (callExecutor != null) {
            callExecutor.shutdownNow();
        }
        // The operator endpoints close last: while calls drain, /readyz answers 503 "not ready" and /healthz 503
        // NOT_SERVING (docs/contracts.md section 10), so probes see the node leaving instead of a refused connection.
        httpListeners.values().forEach(listener -> listener.close(settings.shutdownGrace()));
        httpListeners.clear();
        security.close();
        try {
            application.close();
        } catch (Exception e) {
            LOG.warn("{} node '{}' did not close cleanly: {}", settings.kind(), settings.name(), e.toString());
        }
        LOG.info("{} node '{}' stopped", settings.kind(), settings.name());
        terminated.countDown();
    }

    static String versionOf(Class<?> type) {
        String version = type.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }
}
