package io.gitward.cli.cluster;

import io.gitward.cli.client.ClientEndpoint;
import io.gitward.cli.client.ClientException;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.server.ListenAddress;
import java.nio.file.Path;

/**
 * The operator's admin connection to one local node: mTLS with the cluster's admin certificate to the node's
 * pinned identity, plus a legacy token only while the node is in a phase that does not ask for certificates.
 */
final class NodeAdmin {
    private NodeAdmin() {
    }

    static ClientEndpoint.Connection open(ClusterLayout layout, ClusterManifest manifest, ClusterManifest.Node node,
            int lowestPhase) throws ClusterException {
        Path admin = layout.clientDir(LocalIdentities.ADMIN);
        NodeIdentity identity = new NodeIdentity(io.gitward.security.identity.TrustDomain.of(manifest.trustDomain()),
                Role.parse(node.kind()), node.name());
        try {
            return new ClientEndpoint(ListenAddress.parse(node.tlsAddress()), false, ClusterLayout.roots(admin),
                    ClusterLayout.crl(admin), ClusterLayout.chain(admin), ClusterLayout.key(admin), identity,
                    lowestPhase <= 1 ? ClusterLayout.token(admin) : null).open();
        } catch (ClientException e) {
            throw new ClusterException("admin connection to " + node.name() + ": " + e.getMessage(), e);
        }
    }
}
