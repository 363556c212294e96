package io.gitward.tests.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.AuditRow;
import io.gitward.proto.GetAuditRequest;
import io.gitward.proto.GetClusterStatusRequest;
import io.gitward.proto.ProxyAdminGrpc;
import io.gitward.proto.RepositoryExistsRequest;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proto.SecurityAdminGrpc;
import io.gitward.security.identity.Role;
import io.gitward.security.x509.Pem;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import io.gitward.tests.proxy.ProxyClients;
import io.gitward.tests.security.ProbeCaller;
import io.gitward.tests.security.TestPki;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's nginx as the trusted edge in front of the proxy (phase 6), with the rules of design.md section 7: the
 * forwarded client identity is authorized; a header a client sends itself — directly or through nginx — grants
 * nothing; forwarded admin or storage certificates grant nothing; an edge whose configuration drops the header is
 * denied rather than acting with rights of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NginxEdgeIT {
    private static final String HEADER = "x-gitward-client-cert";
    private static final String REPOSITORY = "edge/project.git";

    @TempDir
    static Path dir;

    private MiniCluster cluster;
    private ClusterNode proxy;
    private Nginx nginx;
    private ProxyClients direct;
    private List<X509Certificate> roots;
    private final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        cluster = MiniCluster.create(dir, "6");
        cluster.start(NodeSpec.replica("storage-1"));
        proxy = cluster.start(NodeSpec.proxy("proxy-1", "storage-1")).get(0);
        direct = new ProxyClients(cluster.channel(proxy, Role.CLIENT, "client-1"),
                cluster.channel(proxy, Role.ADMIN, "admin-1"));
        direct.create(REPOSITORY);
        roots = Pem.readCertificates(cluster.pki().roots());
        nginx = Nginx.start(dir.resolve("nginx"), cluster.pki().issue(Role.EDGE, "nginx-1"), cluster.pki().roots(),
                proxy.tlsPort(), HEADER);
    }

    @AfterEach
    void closeChannels() {
        channels.forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }

    @AfterAll
    void stop() {
        if (nginx != null) {
            nginx.close();
        }
        cluster.close();
    }

    @Test
    void theForwardedClientIsAuthorizedAsItself() throws Exception {
        long before = count("client/alice", "forwarded", "PUBLIC", "allow");
        ManagedChannel alice = viaNginx(Nginx.Listener.VERIFIED, user(Role.CLIENT, "alice"));
        assertTrue(exists(alice, null));
        assertEquals(before + 1, count("client/alice", "forwarded", "PUBLIC", "allow"), this::auditText);
        // nginx itself never appears as the caller of PUBLIC.
        assertEquals(0, count("edge/nginx-1", "none", "PUBLIC", "allow"), this::auditText);
    }

    @Test
    void aHeaderTheClientSendsThroughNginxIsReplacedNotAppended() throws Exception {
        String aliceHeader = escapedCertificate(user(Role.CLIENT, "alice"));
        long aliceBefore = count("client/alice", "forwarded", "PUBLIC", "allow");
        // Mallory claims to be Alice: nginx sets the header from Mallory's own verified certificate.
        ManagedChannel mallory = viaNginx(Nginx.Listener.VERIFIED, user(Role.CLIENT, "mallory"));
        long malloryBefore = count("client/mallory", "forwarded", "PUBLIC", "allow");
        assertTrue(exists(mallory, aliceHeader));
        assertEquals(malloryBefore + 1, count("client/mallory", "forwarded", "PUBLIC", "allow"), this::auditText);
        assertEquals(aliceBefore, count("client/alice", "forwarded", "PUBLIC", "allow"), this::auditText);

        // Without a certificate nginx has nothing to set; the client's own header must not survive either.
        ManagedChannel anonymous = viaNginx(Nginx.Listener.OPTIONAL, null);
        assertDenied(() -> exists(anonymous, aliceHeader), "without a forwarded client certificate");
        assertEquals(aliceBefore, count("client/alice", "forwarded", "PUBLIC", "allow"), this::auditText);
    }

    @Test
    void aHeaderSentDirectlyToTheProxyIsIgnored() throws Exception {
        String adminHeader = escapedCertificate(user(Role.ADMIN, "admin-1"));
        ManagedChannel mallory = channel(proxy.tlsPort(), user(Role.CLIENT, "mallory"));
        long before = count("client/mallory", "none", "PUBLIC", "allow");
        // Not an edge: the header is stripped and the call is Mallory's own.
        assertTrue(exists(mallory, adminHeader));
        assertEquals(before + 1, count("client/mallory", "none", "PUBLIC", "allow"), this::auditText);
        assertDenied(() -> clusterStatus(mallory, adminHeader), "");
    }

    @Test
    void forwardedAdminOrStorageCertificatesGainNothing() throws Exception {
        ManagedChannel admin = viaNginx(Nginx.Listener.VERIFIED, user(Role.ADMIN, "admin-1"));
        assertDenied(() -> exists(admin, null), "only client identities may be forwarded");
        // ADMIN_READ is not a forwarding scope: behind nginx the caller is the edge, which ADMIN_* never admits.
        assertDenied(() -> clusterStatus(admin, null), "");
        ManagedChannel storage = viaNginx(Nginx.Listener.VERIFIED, user(Role.STORAGE, "storage-1"));
        assertDenied(() -> exists(storage, null), "only client identities may be forwarded");
        assertTrue(count("admin/admin-1", "forwarded", "PUBLIC", "deny") >= 1, this::auditText);
    }

    @Test
    void anEdgeThatDropsTheHeaderIsDeniedNotTrustedWithItsOwnRights() throws Exception {
        ManagedChannel alice = viaNginx(Nginx.Listener.DROPS_HEADER, user(Role.CLIENT, "alice"));
        assertDenied(() -> exists(alice, null), "without a forwarded client certificate");
        // The edge's own certificate, straight to the proxy, is no better.
        ManagedChannel edge = channel(proxy.tlsPort(), user(Role.EDGE, "nginx-1"));
        assertDenied(() -> exists(edge, null), "without a forwarded client certificate");
        assertTrue(count("edge/nginx-1", "none", "PUBLIC", "deny") >= 2, this::auditText);
    }

    private boolean exists(ManagedChannel channel, String forgedHeader) {
        return RepositoryServiceGrpc.newBlockingStub(channel).withInterceptors(headers(forgedHeader))
                .withDeadlineAfter(15, TimeUnit.SECONDS)
                .repositoryExists(RepositoryExistsRequest.newBuilder().setRepository(ProxyClients.repository(REPOSITORY))
                        .build()).getExists();
    }

    private Object clusterStatus(ManagedChannel channel, String forgedHeader) {
        return ProxyAdminGrpc.newBlockingStub(channel).withInterceptors(headers(forgedHeader))
                .withDeadlineAfter(15, TimeUnit.SECONDS).getClusterStatus(GetClusterStatusRequest.getDefaultInstance());
    }

    private static io.grpc.ClientInterceptor headers(String forgedHeader) {
        Metadata metadata = new Metadata();
        if (forgedHeader != null) {
            metadata.put(Metadata.Key.of(HEADER, Metadata.ASCII_STRING_MARSHALLER), forgedHeader);
        }
        return MetadataUtils.newAttachHeadersInterceptor(metadata);
    }

    private static void assertDenied(Runnable call, String reason) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), e.getStatus().toString());
            String description = String.valueOf(e.getStatus().getDescription());
            assertTrue(description.contains(reason), description);
            return;
        }
        throw new AssertionError("the call was allowed");
    }

    private long count(String identity, String credential, String scope, String decision) {
        String principal = cluster.spiffeId(Role.parse(identity.substring(0, identity.indexOf('/'))),
                identity.substring(identity.indexOf('/') + 1));
        return audit().stream().filter(row -> row.getPrincipal().equals(principal)
                && row.getCredential().equals(credential) && row.getScope().equals(scope)
                && row.getDecision().equals(decision)).mapToLong(AuditRow::getCount).sum();
    }

    private String auditText() {
        return audit().toString();
    }

    private List<AuditRow> audit() {
        return SecurityAdminGrpc.newBlockingStub(direct.admin().getChannel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getAudit(GetAuditRequest.getDefaultInstance()).getRowsList();
    }

    private ManagedChannel viaNginx(Nginx.Listener listener, TestPki.NodeFiles user) throws Exception {
        return channel(nginx.port(listener), user);
    }

    private ManagedChannel channel(int port, TestPki.NodeFiles user) throws Exception {
        ManagedChannel channel = ProbeCaller.channel(port, true, user == null ? null : TestPki.clientIdentity(user), roots,
                SslProvider.OPENSSL);
        channels.add(channel);
        return channel;
    }

    private TestPki.NodeFiles user(Role role, String name) throws Exception {
        return Files.exists(cluster.pki().files(role, name).certificate()) ? cluster.pki().files(role, name)
                : cluster.pki().issue(role, name);
    }

    /** What nginx's $ssl_client_escaped_cert would hold for {@code user}. */
    private static String escapedCertificate(TestPki.NodeFiles user) throws Exception {
        String pem = Files.readString(user.certificate());
        return java.net.URLEncoder.encode(pem, java.nio.charset.StandardCharsets.US_ASCII).replace("+", "%20");
    }
}
