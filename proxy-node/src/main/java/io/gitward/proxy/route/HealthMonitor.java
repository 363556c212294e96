package io.gitward.proxy.route;

import io.gitward.proxy.ProxySettings.HealthSettings;
import io.gitward.proxy.StorageNodeAddress;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active health checks: every interval, {@code grpc.health.v1.Health/Check} on each storage node's health
 * listener. A node is down after {@code failures} consecutive failed checks and up again after one success.
 * Until its first check a node counts as up, so a starting proxy does not refuse everything.
 */
public final class HealthMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HealthMonitor.class);

    /** What the proxy knows of one node. */
    public record NodeHealth(boolean healthy, int consecutiveFailures, String lastError) {
    }

    private final StorageNodes nodes;
    private final HealthSettings settings;
    private final Map<String, NodeHealth> states = new ConcurrentHashMap<>();
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "gitward-health");
        thread.setDaemon(true);
        return thread;
    });

    public HealthMonitor(StorageNodes nodes, HealthSettings settings) {
        this.nodes = nodes;
        this.settings = settings;
        for (String name : nodes.names()) {
            states.put(name, new NodeHealth(true, 0, ""));
        }
    }

    public void start() {
        long interval = settings.interval().toMillis();
        timer.scheduleWithFixedDelay(this::checkAll, 0, interval, TimeUnit.MILLISECONDS);
    }

    public boolean healthy(String node) {
        NodeHealth state = states.get(node);
        return state != null && state.healthy();
    }

    public NodeHealth state(String node) {
        return states.getOrDefault(node, new NodeHealth(false, 0, "unknown node"));
    }

    /** Runs one round of checks now (also what the timer does). */
    public void checkAll() {
        for (String name : nodes.names()) {
            check(name);
        }
    }

    private void check(String name) {
        String error = null;
        try {
            HealthCheckResponse response = HealthGrpc.newBlockingStub(channel(name))
                    .withDeadlineAfter(settings.timeout().toMillis(), TimeUnit.MILLISECONDS)
                    .check(HealthCheckRequest.getDefaultInstance());
            if (response.getStatus() != HealthCheckResponse.ServingStatus.SERVING) {
                error = "status " + response.getStatus();
            }
        } catch (StatusRuntimeException e) {
            error = e.getStatus().getCode() + (e.getStatus().getDescription() == null ? ""
                    : ": " + e.getStatus().getDescription());
        }
        NodeHealth before = states.get(name);
        NodeHealth after = error == null ? new NodeHealth(true, 0, "")
                : new NodeHealth(before.consecutiveFailures() + 1 < settings.failures(), before.consecutiveFailures() + 1,
                        error);
        states.put(name, after);
        if (before.healthy() != after.healthy()) {
            if (after.healthy()) {
                LOG.info("storage node {} is up again", name);
            } else {
                LOG.warn("storage node {} is down after {} failed health checks: {}", name, after.consecutiveFailures(),
                        error);
            }
        }
    }

    private ManagedChannel channel(String name) {
        return channels.computeIfAbsent(name, node -> {
            StorageNodeAddress address = nodes.address(node);
            // The health listener is plaintext by design: it carries only a serving status.
            return NettyChannelBuilder.forAddress(address.health().host(), address.health().port()).usePlaintext()
                    .build();
        });
    }

    @Override
    public void close() {
        timer.shutdownNow();
        channels.values().forEach(ManagedChannel::shutdownNow);
    }
}
