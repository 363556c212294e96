package io.gitward.transaction;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeSettings;
import io.grpc.BindableService;
import java.util.List;

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

    @Override
    public String prometheusText() {
        return transactions.prometheusText();
    }

    @Override
    public void close() {
        transactions.close();
    }
}
