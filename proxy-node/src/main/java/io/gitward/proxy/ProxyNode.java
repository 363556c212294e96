package io.gitward.proxy;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeSettings;
import io.gitward.transaction.TransactionHost;
import io.grpc.BindableService;
import java.util.List;

/**
 * The proxy node: one endpoint for clients, routing to storage replicas. It embeds the transaction service,
 * so storage nodes vote on the proxy's own listener (verifying the proxy's identity as the coordinator's).
 */
public final class ProxyNode implements NodeApplication {
    private final TransactionHost transactions = new TransactionHost();

    @Override
    public void configure(GitwardConfig config, NodeSettings settings) {
        transactions.configure(config);
    }

    @Override
    public List<BindableService> services(SecurityRuntime security) {
        return List.of(transactions.start(security));
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
        transactions.close();
    }
}
