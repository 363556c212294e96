package io.gitward.transaction;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.runtime.SecurityRuntime;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The transaction service as a node hosts it, standalone or embedded in the proxy: reads
 * {@code transactions.*}, owns the manager and its timer thread.
 */
public final class TransactionHost implements AutoCloseable {
    private Duration retention = Duration.ofSeconds(60);
    private int maxOpen = 100_000;
    private ScheduledExecutorService timer;
    private TransactionManager manager;

    public void configure(GitwardConfig config) {
        retention = config.duration("transactions.retention");
        maxOpen = config.integer("transactions.max-open", 1, 10_000_000);
    }

    /** Starts the manager and returns the gRPC service bound to this node's security runtime. */
    public TransactionGrpcService start(SecurityRuntime security) {
        timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "gitward-transactions");
            thread.setDaemon(true);
            return thread;
        });
        manager = new TransactionManager(timer, Clock.systemUTC(), retention, maxOpen, new TransactionMetrics());
        return new TransactionGrpcService(manager, security.settings().trustDomain(),
                () -> security.phaseFlags().authorization());
    }

    public TransactionManager manager() {
        return manager;
    }

    public String prometheusText() {
        return manager == null ? "" : manager.metrics().prometheusText();
    }

    @Override
    public void close() {
        if (manager != null) {
            manager.close();
        }
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
