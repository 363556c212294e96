package io.gitward.transaction;

import io.gitward.proto.TransactionServiceGrpc;
import io.gitward.security.config.GitwardConfig;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeSettings;
import io.grpc.BindableService;
import java.util.List;
import java.util.Set;

/** The standalone transaction coordinator: the same service the proxy can embed. */
public final class CoordinatorNode implements NodeApplication {
    private final TransactionHost transactions = new TransactionHost();

    @Override
    public void configure(GitwardConfig config, NodeSettings settings) {
        transactions.configure(config);
    }

    @Override
    public List<BindableService> services(SecurityRuntime security) {
        return List.of(transactions.start(security));
    }

    /**
     * Every call is answered from memory and a PREPARED vote's answer waits on a future, not a thread: the service
     * runs on the transport threads, saving two thread hand-offs per vote (a voted write casts six).
     */
    @Override
    public Set<String> transportServices() {
        return Set.of(TransactionServiceGrpc.SERVICE_NAME);
    }

    @Override
    public String prometheusText() {
        return transactions.prometheusText();
    }

    @Override
    public void close() {
        transactions.close();
    }
}
