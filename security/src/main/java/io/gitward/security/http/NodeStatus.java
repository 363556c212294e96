package io.gitward.security.http;

import static java.util.Objects.requireNonNull;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What the operator endpoints report about their node, read on every request.
 *
 * @param ready       whether the node is ready (every listener bound, ready.json written, not stopping)
 * @param serving     the serving status the gRPC health service reports
 * @param nodeMetrics the node kind's own metrics (Prometheus text), appended to the security metrics
 */
public record NodeStatus(BooleanSupplier ready, BooleanSupplier serving, Supplier<String> nodeMetrics) {
    public NodeStatus {
        requireNonNull(ready, "ready");
        requireNonNull(serving, "serving");
        requireNonNull(nodeMetrics, "nodeMetrics");
    }
}
