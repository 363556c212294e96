package io.gitward.proxy;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeSettings;
import io.grpc.BindableService;
import java.util.List;

/** The proxy node: one endpoint for clients, routing to storage replicas. */
public final class ProxyNode implements NodeApplication {
    @Override
    public void configure(GitwardConfig config, NodeSettings settings) {
    }

    @Override
    public List<BindableService> services() {
        return List.of();
    }
}
