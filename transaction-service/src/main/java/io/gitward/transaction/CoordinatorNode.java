package io.gitward.transaction;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeSettings;
import io.grpc.BindableService;
import java.util.List;

/** The standalone transaction coordinator (the same service the proxy can embed). */
public final class CoordinatorNode implements NodeApplication {
    @Override
    public void configure(GitwardConfig config, NodeSettings settings) {
    }

    @Override
    public List<BindableService> services() {
        return List.of();
    }
}
