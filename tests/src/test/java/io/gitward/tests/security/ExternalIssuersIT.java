package io.gitward.tests.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.GetSecurityStatusRequest;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryExistsRequest;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proto.SecurityAdminGrpc;
import io.gitward.security.server.NodeKind;
import io.gitward.security.x509.Pem;
import io.gitward.tests.cluster.ClusterNode;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A storage node process at phase 6 whose key, chain, bundle and CRL all come from another tool, called by a proxy
 * and refused to a client whose certificates come from the same tool: openssl with URI SAN and subject, openssl
 * SPIFFE-style SVIDs with an empty subject, and Debian's cfssl 1.2 (subject-only mode: it cannot write URI SANs).
 * A certificate revoked through the tool's own CRL ({@code openssl ca -revoke -gencrl}, {@code cfssl gencrl}) is
 * refused by the running node.
 */
class ExternalIssuersIT {
    private static final String DOMAIN = "ext.gitward";

    @TempDir
    Path dir;

    @ParameterizedTest(name = "a node runs on certificates made by {0}")
    @ValueSource(strings = {"openssl", "openssl, SVIDs with an empty subject", "cfssl"})
    void aNodeServesOnCertificatesFromAnotherIssuer(String setup) throws Exception {
        boolean emptySubject = setup.contains("empty subject");
        ExternalIssuer issuer = setup.equals("cfssl") ? ExternalIssuer.cfssl(dir.resolve("ca"), DOMAIN)
                : ExternalIssuer.openssl(dir.resolve("ca"), DOMAIN);
        ExternalIssuer.Leaf storage = issuer.issue("storage", "storage-1", emptySubject);
        NodeConfig config = NodeConfig.node("storage-1", dir.resolve("data"))
                .set("security.phase", "6")
                .set("security.trust-domain", NodeConfig.quote(DOMAIN))
                .path("security.tls.key", storage.key())
                .path("security.tls.certificate-chain", storage.chain())
                .path("security.trust.roots", issuer.roots())
                .set("security.trust.crls", "[" + NodeConfig.quote(issuer.crl().toString()) + "]")
                .path("storage.root", dir.resolve("repos"));
        if (issuer.subjectOnly()) {
            config.set("security.trust.identity-mode", NodeConfig.quote("subject-only"));
        }
        ClusterNode node = ClusterNode.start(NodeKind.STORAGE, "storage-1", config.write(dir.resolve("storage.conf")),
                dir.resolve("data"), Duration.ofSeconds(90));
        List<X509Certificate> roots = Pem.readCertificates(issuer.roots());
        try {
            assertEquals("spiffe://" + DOMAIN + "/storage/storage-1", node.identity());
            ManagedChannel proxy = channel(node, issuer.issue("proxy", "proxy-1", emptySubject), roots);
            ManagedChannel auditor = channel(node, issuer.issue("auditor", "auditor-1", emptySubject), roots);
            ManagedChannel client = channel(node, issuer.issue("client", "client-1", emptySubject), roots);
            try {
                for (int i = 0; i < 20; i++) {
                    assertFalse(repositoryExists(proxy));
                }
                SecurityAdminGrpc.newBlockingStub(auditor).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .getSecurityStatus(GetSecurityStatusRequest.getDefaultInstance());
                StatusRuntimeException denied = assertThrows(StatusRuntimeException.class, () -> repositoryExists(client));
                assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode(), denied::toString);
                assertTrue(denied.getStatus().getDescription().contains("spiffe://" + DOMAIN + "/client/client-1"),
                        denied::toString);

                // Revoked with the tool's own CRL: the node picks the new CRL up, cuts the open connection and
                // refuses new handshakes, while the other proxy identity goes on.
                ExternalIssuer.Leaf revokedLeaf = issuer.issue("proxy", "proxy-2", emptySubject);
                ManagedChannel revoked = channel(node, revokedLeaf, roots);
                try {
                    assertFalse(repositoryExists(revoked), "positive control: proxy-2 is served before");
                    issuer.revoke(revokedLeaf);
                    Awaitility.await("a new handshake with the revoked certificate is refused")
                            .atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                            .until(() -> refused(node, revokedLeaf, roots));
                    StatusRuntimeException cut = assertThrows(StatusRuntimeException.class,
                            () -> repositoryExists(revoked));
                    assertEquals(Status.Code.UNAVAILABLE, cut.getStatus().getCode(), cut::toString);
                    assertFalse(repositoryExists(proxy), "proxy-1 is still served");
                } finally {
                    revoked.shutdownNow();
                }
            } finally {
                for (ManagedChannel channel : List.of(proxy, auditor, client)) {
                    channel.shutdownNow();
                }
            }
            System.out.printf("external issuer %s: node identity %s, 20 proxy calls + 1 auditor call served, client"
                    + " denied, proxy-2 revoked through the %s CRL and refused%n", setup, node.identity(), issuer.tool());
        } finally {
            node.kill();
        }
    }

    private static ManagedChannel channel(ClusterNode node, ExternalIssuer.Leaf leaf, List<X509Certificate> roots)
            throws Exception {
        ProbeCaller.ClientIdentity identity = new ProbeCaller.ClientIdentity(Pem.readPrivateKey(leaf.key(), null),
                Pem.readCertificates(leaf.chain()));
        return ProbeCaller.channel(node.tlsPort(), true, identity, roots, SslProvider.OPENSSL);
    }

    /** Whether a new connection with {@code leaf} is refused (in the handshake: UNAVAILABLE). */
    private static boolean refused(ClusterNode node, ExternalIssuer.Leaf leaf, List<X509Certificate> roots)
            throws Exception {
        ManagedChannel channel = channel(node, leaf, roots);
        try {
            repositoryExists(channel);
            return false;
        } catch (StatusRuntimeException e) {
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e::toString);
            return true;
        } finally {
            channel.shutdownNow();
        }
    }

    private static boolean repositoryExists(ManagedChannel channel) {
        return RepositoryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).repositoryExists(
                RepositoryExistsRequest.newBuilder().setRepository(Repository.newBuilder().setStorageName("storage-1")
                        .setRelativePath("external.git")).build()).getExists();
    }
}
