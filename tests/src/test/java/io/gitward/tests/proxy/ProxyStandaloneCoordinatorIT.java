package io.gitward.tests.proxy;

import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import java.util.List;

/**
 * The same cluster with the transaction service in its own process: storage nodes vote on the standalone
 * coordinator (verifying its identity), the proxy registers and reads transactions there as itself.
 */
class ProxyStandaloneCoordinatorIT extends ProxyClusterBase {
    @Override
    protected List<NodeSpec> coordinator() {
        return List.of(NodeSpec.coordinator("coordinator-1"));
    }

    @Override
    protected NodeSpec proxySpec() {
        return NodeSpec.proxy("proxy-1", STORAGES.toArray(String[]::new))
                .with("proxy.coordinator.mode", "standalone")
                .with("proxy.coordinator.name", "coordinator-1")
                .with("proxy.coordinator.tls-address", "\"" + cluster.node("coordinator-1").tlsAddress() + "\"");
    }
}
