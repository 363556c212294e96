package io.gitward.proxy.forward;

import io.gitward.proxy.replication.ReplicaCalls;
import io.gitward.proxy.route.HealthMonitor;
import io.gitward.proxy.route.StorageNodes;
import io.gitward.proxy.route.WritesInFlight;
import io.gitward.proxy.store.ClusterStore;
import io.gitward.proxy.tx.Coordinator;
import io.gitward.transaction.Strategy;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What routing needs: the cluster's state, the nodes and their health, the coordinator, and this proxy's
 * settings.
 *
 * @param owner         this proxy's name: owner of its write intents and replication leases
 * @param secondaryGrace how long a write waits for secondaries after the primary answered
 */
public record RouteContext(String virtualStorage, String owner, ClusterStore store, StorageNodes nodes,
        HealthMonitor health, ReplicaCalls replicas, Coordinator coordinator, Strategy strategy, Duration transactionTimeout,
        Duration lockTimeout, Duration secondaryGrace, WritesInFlight inFlight, Executor routing,
        ScheduledExecutorService timer) {
}
