package io.gitward.tests.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.AuditRow;
import io.gitward.proto.GetAuditRequest;
import io.gitward.proto.GetClusterStatusRequest;
import io.gitward.proto.GetMetricsRequest;
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
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 * denied rather than acting with rights of its own. nginx's own checks are pinned too: its listener refuses client
 * certificates from another CA and missing ones (HTTP 400, the proxy sees nothing), and a listener that cannot verify
 * the proxy's certificate (another CA, or a name it does not carry) fails the upstream handshake (502).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NginxEdgeIT {
    private static final String HEADER = "x-gitward-client-cert";
    private static final String REPOSITORY = "edge/project.git";
    private static final Pattern STRIPPED = Pattern.compile("^gitward_forwarded_headers_stripped_total (\\d+)$",
            Pattern.MULTILINE);

    @TempDir
    static Path dir;

    private MiniCluster cluster;
    private ClusterNode proxy;
    private Nginx nginx;
    private ProxyClients direct;
    private List<X509Certificate> roots;
    /** Another CA that even names the same trust domain: nothing it signs may count. */
    private TestPki foreign;
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
        foreign = TestPki.create(dir.resolve("foreign-pki"), MiniCluster.TRUST_DOMAIN, false);
        nginx = Nginx.start(dir.resolve("nginx"), cluster.pki().issue(Role.EDGE, "nginx-1"), cluster.pki().roots(),
                foreign.roots(), proxy.tlsPort(), HEADER);
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
        long strippedBefore = strippedHeaders();
        ManagedChannel alice = viaNginx(Nginx.Listener.VERIFIED, user(Role.CLIENT, "alice"));
        assertTrue(exists(alice, null));
        assertEquals(before + 1, count("client/alice", "forwarded", "PUBLIC", "allow"), this::auditText);
        // nginx itself never appears as the caller of PUBLIC.
        assertEquals(0, count("edge/nginx-1", "none", "PUBLIC", "allow"), this::auditText);
        // A header from an edge is honoured, not stripped: the counter below counts only the other case.
        assertEquals(strippedBefore, strippedHeaders(), "a header from the edge counted as stripped");
    }

    @Test
    void theVerifiedListenerRefusesAForeignOrMissingClientCertificateBeforeTheProxySeesAnything() throws Exception {
        Map<String, Long> before = publicAudit();
        // A client certificate for the cluster's own trust domain, but from another CA: nginx's
        // ssl_verify_client on refuses it with its own 400 page; nothing is forwarded.
        ManagedChannel forged = insistent(nginx.port(Nginx.Listener.VERIFIED), foreign.issue(Role.CLIENT, "alice"));
        assertRefusedByNginx(() -> exists(forged, null), "The SSL certificate error");
        ManagedChannel anonymous = viaNginx(Nginx.Listener.VERIFIED, null);
        assertRefusedByNginx(() -> exists(anonymous, null), "No required SSL certificate was sent");
        assertEquals(before, publicAudit(), "the proxy received a call nginx should have refused");
        assertTrue(nginx.errorLog().contains("client SSL certificate verify error"), "nginx logged why");
        // Positive control: the same listener forwards a certificate from the cluster's CA.
        assertTrue(exists(viaNginx(Nginx.Listener.VERIFIED, user(Role.CLIENT, "alice")), null));
        assertEquals(before.getOrDefault(key("client/alice", "forwarded", "allow"), 0L) + 1,
                publicAudit().get(key("client/alice", "forwarded", "allow")), this::auditText);
    }

    @Test
    void aListenerThatCannotVerifyTheProxyFailsTheUpstreamHandshakeAndTheProxySeesNothing() throws Exception {
        TestPki.NodeFiles alice = user(Role.CLIENT, "alice");
        Map<String, Long> before = publicAudit();
        // grpc_ssl_verify on with another CA as grpc_ssl_trusted_certificate: the proxy's certificate does not verify.
        ManagedChannel foreignCa = viaNginx(Nginx.Listener.FOREIGN_UPSTREAM_CA, alice);
        assertBadGateway(() -> exists(foreignCa, null));
        assertTrue(nginx.errorLog().contains("upstream SSL certificate verify error"), "nginx logged the chain failure");
        // grpc_ssl_name names what the proxy's certificate does not carry.
        ManagedChannel wrongName = viaNginx(Nginx.Listener.WRONG_UPSTREAM_NAME, alice);
        assertBadGateway(() -> exists(wrongName, null));
        assertTrue(nginx.errorLog().contains("upstream SSL certificate does not match \"proxy-1.elsewhere.invalid\""),
                "nginx logged the name mismatch");
        assertEquals(before, publicAudit(), "the proxy received a call over an unverified upstream connection");
        // Positive control: the same user through the listener that verifies the proxy properly.
        assertTrue(exists(viaNginx(Nginx.Listener.VERIFIED, alice), null));
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
        long strippedBefore = strippedHeaders();
        // Not an edge: the header is stripped (and counted) and the call is Mallory's own.
        assertTrue(exists(mallory, adminHeader));
        assertEquals(before + 1, count("client/mallory", "none", "PUBLIC", "allow"), this::auditText);
        assertEquals(strippedBefore + 1, strippedHeaders(), "gitward_forwarded_headers_stripped_total after one call");
        assertDenied(() -> clusterStatus(mallory, adminHeader), "");
        assertEquals(strippedBefore + 2, strippedHeaders(), "gitward_forwarded_headers_stripped_total after two calls");
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

    /** Refused by nginx itself: HTTP 400 with nginx's reason, which gRPC reports as INTERNAL. */
    private static void assertRefusedByNginx(Runnable call, String nginxReason) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            assertEquals(Status.Code.INTERNAL, e.getStatus().getCode(), e.getStatus().toString());
            String description = String.valueOf(e.getStatus().getDescription());
            assertTrue(description.contains("HTTP status code 400") && description.contains(nginxReason), description);
            return;
        }
        throw new AssertionError("nginx let the call through");
    }

    /** nginx could not set up the upstream connection: HTTP 502, which gRPC reports as UNAVAILABLE. */
    private static void assertBadGateway(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
            assertTrue(String.valueOf(e.getStatus().getDescription()).contains("HTTP status code 502"),
                    e.getStatus().toString());
            return;
        }
        throw new AssertionError("nginx reached the proxy over an unverified connection");
    }

    /** Every PUBLIC audit row of the proxy (principal, credential, decision to count). */
    private Map<String, Long> publicAudit() {
        Map<String, Long> rows = new TreeMap<>();
        audit().stream().filter(row -> row.getScope().equals("PUBLIC")).forEach(row -> rows.merge(
                row.getPrincipal() + " " + row.getCredential() + " " + row.getDecision(), row.getCount(), Long::sum));
        return rows;
    }

    private String key(String identity, String credential, String decision) {
        return cluster.spiffeId(Role.parse(identity.substring(0, identity.indexOf('/'))),
                identity.substring(identity.indexOf('/') + 1)) + " " + credential + " " + decision;
    }

    /** The proxy's {@code gitward_forwarded_headers_stripped_total}, read as an admin. */
    private long strippedHeaders() {
        String text = SecurityAdminGrpc.newBlockingStub(direct.admin().getChannel()).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getMetrics(GetMetricsRequest.getDefaultInstance()).getPrometheusText();
        Matcher matcher = STRIPPED.matcher(text);
        assertTrue(matcher.find(), "no gitward_forwarded_headers_stripped_total in the proxy's metrics");
        return Long.parseLong(matcher.group(1));
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

    /** A channel that presents {@code user}'s certificate even when nginx does not name its CA as acceptable. */
    private ManagedChannel insistent(int port, TestPki.NodeFiles user) throws Exception {
        ProbeCaller.ClientIdentity identity = TestPki.clientIdentity(user);
        SslContextBuilder ssl = GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.OPENSSL)
                .trustManager(roots.toArray(new X509Certificate[0]))
                .keyManager(new InsistentKeyManager(identity.key(), identity.chain()));
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).disableRetry().sslContext(ssl.build())
                .build();
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
