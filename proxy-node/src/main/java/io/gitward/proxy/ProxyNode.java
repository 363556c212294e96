package io.gitward.proxy;

import io.gitward.proto.TransactionServiceGrpc;
import io.gitward.proxy.admin.ProxyAdminGrpcService;
import io.gitward.proxy.forward.ProxyServices;
import io.gitward.proxy.forward.RouteContext;
import io.gitward.proxy.replication.Repairs;
import io.gitward.proxy.replication.ReplicaCalls;
import io.gitward.proxy.route.HealthMonitor;
import io.gitward.proxy.route.StorageNodes;
import io.gitward.proxy.route.WritesInFlight;
import io.gitward.proxy.store.CachingClusterStore;
import io.gitward.proxy.store.ClusterStore;
import io.gitward.proxy.store.JdbcClusterStore;
import io.gitward.proxy.store.StoreException;
import io.gitward.proxy.store.StoreSettings;
import io.gitward.proxy.tx.Coordinator;
import io.gitward.proxy.tx.EmbeddedCoordinator;
import io.gitward.proxy.tx.RemoteCoordinator;
import io.gitward.security.authz.MethodRegistry;
import io.gitward.security.config.GitwardConfig;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.runtime.PeerEndpoint;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeSettings;
import io.gitward.transaction.TransactionHost;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The proxy node: one endpoint for clients. It forwards every {@code PUBLIC} call to the right storage replicas
 * (reads to an up-to-date one, writes to all of them inside a transaction), keeps generations and the repair
 * queue in its cluster store, watches the nodes' health and fails over, and serves the admin API. It embeds
 * the transaction service, so storage nodes can vote on the proxy's own listener.
 */
public final class ProxyNode implements NodeApplication {
    private static final Duration SECONDARY_GRACE = Duration.ofSeconds(5);

    private final TransactionHost transactions = new TransactionHost();
    private NodeSettings node;
    private ProxySettings settings;
    private StoreSettings storeSettings;
    private ClusterStore store;
    private final List<String> forwardedServices = new ArrayList<>();
    private StorageNodes nodes;
    private HealthMonitor health;
    private EmbeddedCoordinator embedded;
    private Coordinator coordinator;
    private Repairs repairs;
    private ExecutorService routing;
    private ScheduledExecutorService timer;

    @Override
    public void configure(GitwardConfig config, NodeSettings nodeSettings) {
        this.node = nodeSettings;
        transactions.configure(config);
        settings = ProxySettings.read(config);
        storeSettings = StoreSettings.read(config, nodeSettings.dataDirectory());
    }

    @Override
    public List<BindableService> services(SecurityRuntime security) {
        List<BindableService> services = new ArrayList<>();
        services.add(transactions.start(security));
        try {
            ClusterStore opened = JdbcClusterStore.open(storeSettings, settings.virtualStorage());
            store = storeSettings.exclusiveToThisProcess() ? new CachingClusterStore(opened) : opened;
        } catch (StoreException e) {
            throw new IllegalStateException("proxy.store: " + e.getMessage(), e);
        }
        String trustDomain = node.trustDomain().name();
        nodes = new StorageNodes(settings.storages(), trustDomain, security);
        health = new HealthMonitor(nodes, settings.health());
        coordinator = coordinator(security, trustDomain);
        AtomicInteger threads = new AtomicInteger();
        routing = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "gitward-route-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "gitward-route-timer");
            thread.setDaemon(true);
            return thread;
        });
        Duration lockTimeout = storeSettings.lockTimeout();
        ReplicaCalls calls = new ReplicaCalls(nodes, settings.virtualStorage());
        RouteContext context = new RouteContext(settings.virtualStorage(), node.name(), store, nodes, health, calls,
                coordinator,
                settings.strategy(), settings.transactionTimeout(), lockTimeout,
                SECONDARY_GRACE.compareTo(settings.transactionTimeout()) < 0 ? SECONDARY_GRACE : settings.transactionTimeout(),
                new WritesInFlight(), routing, timer);
        for (ServerServiceDefinition definition : ProxyServices.create(MethodRegistry.instance(), context)) {
            services.add(() -> definition);
            forwardedServices.add(definition.getServiceDescriptor().getName());
        }
        services.add(new ProxyAdminGrpcService(settings.virtualStorage(), node.name(), store, nodes, health, calls,
                lockTimeout));
        repairs = new Repairs(store, health, calls, node.name(), lockTimeout, settings.replication());
        return services;
    }

    private Coordinator coordinator(SecurityRuntime security, String trustDomain) {
        ProxySettings.CoordinatorSettings configured = settings.coordinator();
        if (configured.embedded()) {
            embedded = new EmbeddedCoordinator(transactions.manager(), NodeIdentity.of(trustDomain, "proxy", node.name()),
                    security);
            return embedded;
        }
        return new RemoteCoordinator(new PeerEndpoint(NodeIdentity.of(trustDomain, "coordinator", configured.name()),
                configured.tls(), configured.plaintext()), security);
    }

    /**
     * The forwarded services relay without blocking (a route that may wait runs on the routing executor), and the
     * embedded transaction service answers from memory (a PREPARED vote waits on a future, not a thread), so they
     * run on the transport threads; the admin service, which reads the store, does not.
     */
    @Override
    public Set<String> transportServices() {
        Set<String> onTransport = new HashSet<>(forwardedServices);
        onTransport.add(TransactionServiceGrpc.SERVICE_NAME);
        return Set.copyOf(onTransport);
    }

    @Override
    public void started(Map<String, String> listeners) {
        if (embedded != null) {
            embedded.advertise(listeners.get(NodeSettings.GRPC_TLS), listeners.get(NodeSettings.GRPC_PLAINTEXT));
        }
        health.start();
        repairs.start();
    }

    public TransactionHost transactions() {
        return transactions;
    }

    @Override
    public String prometheusText() {
        return transactions.prometheusText();
    }

    @Override
    public void close() {
        if (repairs != null) {
            repairs.close();
        }
        if (health != null) {
            health.close();
        }
        if (timer != null) {
            timer.shutdownNow();
        }
        if (routing != null) {
            routing.shutdownNow();
        }
        if (coordinator instanceof RemoteCoordinator remote) {
            remote.close();
        }
        if (nodes != null) {
            nodes.close();
        }
        if (store != null) {
            store.close();
        }
        transactions.close();
    }
}
