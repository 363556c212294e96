package io.gitward.tests.gateway;

import static io.gitward.tests.storage.GitCli.fsck;
import static io.gitward.tests.storage.GitCli.git;
import static io.gitward.tests.storage.GitCli.refs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.ChecksumRequest;
import io.gitward.proto.GetMetricsRequest;
import io.gitward.proto.MaintenanceServiceGrpc;
import io.gitward.proto.RepositoryStateResponse;
import io.gitward.proto.SecurityAdminGrpc;
import io.gitward.security.identity.Role;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import io.gitward.tests.proxy.ProxyClients;
import io.gitward.tests.security.NodeConfig;
import io.gitward.tests.storage.GitCli;
import io.gitward.tests.storage.RailsStandIn;
import io.gitward.tests.storage.Requests;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real {@code git} CLI clones, fetches and pushes through {@code gitward node gateway} (HTTPS with the user's
 * client certificate) → proxy (forwarded identity) → three storage replicas at phase 6, over protocol v0 and v2.
 * Every replica must end with the pushed commit and equal checksums; users without a permitted identity change
 * nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GitGatewayIT {
    /** git's report of a TLS handshake the gateway refused (it demands a client certificate). */
    private static final java.util.regex.Pattern HANDSHAKE_REFUSED = java.util.regex.Pattern.compile(
            "fatal: unable to access '[^']+': (Recv failure: Connection reset by peer|.*(alert|handshake|certificate required"
                    + "|non-properly terminated))");
    private static final List<String> STORAGES = List.of("storage-1", "storage-2", "storage-3");

    @TempDir
    static Path dir;

    private MiniCluster cluster;
    private ClusterNode gateway;
    private ProxyClients clients;
    private RailsStandIn rails;
    private final Map<String, ManagedChannel> asProxy = new LinkedHashMap<>();

    @BeforeAll
    void startCluster() throws Exception {
        cluster = MiniCluster.create(dir, "6");
        // Every push is also put to the access check (the Rails stand-in), over mTLS with each node's identity.
        rails = RailsStandIn.start(cluster.pki().roots(), cluster.pki().issue(Role.CLIENT, "rails"));
        cluster.start(STORAGES.stream().map(name -> NodeSpec.replica(name).with("storage.vote-timeout", "5s")
                .with("storage.access-check.url", NodeConfig.quote(rails.url()))
                .with("storage.access-check.identity", NodeConfig.quote(cluster.spiffeId(Role.CLIENT, "rails"))))
                .toArray(NodeSpec[]::new));
        ClusterNode proxy = cluster.start(NodeSpec.proxy("proxy-1", STORAGES.toArray(String[]::new))).get(0);
        gateway = cluster.start(NodeSpec.gateway("gateway-1", "proxy-1")).get(0);
        clients = new ProxyClients(cluster.channel(proxy, Role.CLIENT, "client-1"),
                cluster.channel(proxy, Role.ADMIN, "admin-1"));
        for (String storage : STORAGES) {
            // The proxy's own identity: the one caller storage nodes answer Checksum for.
            asProxy.put(storage, cluster.channel(cluster.node(storage), Role.PROXY, "proxy-1"));
        }
    }

    @AfterAll
    void stopCluster() {
        cluster.close();
        rails.close();
    }

    @ParameterizedTest(name = "protocol v{0}")
    @ValueSource(ints = {0, 2})
    void cloneCommitFetchAndPushWithTheGitCli(int version) throws Exception {
        String path = "gateway/v" + version + ".git";
        clients.create(path);
        clients.commit(path, "README.md", "hello\n");
        GitUser pat = user(Role.CLIENT, "pat");
        Path work = dir.resolve("work-v" + version);

        GitUser.Result clone = pat.run(null, Map.of("GIT_TRACE_PACKET", "1"), "-c", "protocol.version=" + version,
                "clone", url(path), work.toString());
        assertTrue(clone.ok(), clone.output());
        // What git itself says it negotiated: a v2 capability advertisement, or none.
        assertEquals(version == 2, clone.output().contains("< version 2"), clone.output());
        assertEquals("hello\n", Files.readString(work.resolve("README.md")));

        // Fetch sees a commit made by another client through the proxy.
        String remote = clients.commit(path, "remote.txt", "from gRPC\n").getCommitId();
        pat.ok(work, "-c", "protocol.version=" + version, "fetch", "origin");
        assertEquals(remote, pat.ok(work, "rev-parse", "origin/main").trim());
        pat.ok(work, "merge", "--ff-only", "origin/main");

        Files.writeString(work.resolve("pushed.txt"), "pushed with the git CLI over protocol v" + version + "\n");
        pat.ok(work, "add", "pushed.txt");
        pat.ok(work, "commit", "-m", "push through the gateway");
        String pushed = pat.ok(work, "rev-parse", "HEAD").trim();
        rails.clearRequests();
        GitUser.Result push = pat.run(work, "-c", "protocol.version=" + version, "push", "origin", "main");
        assertTrue(push.ok(), push.output());
        // Every replica asked the access check before voting, as itself.
        assertEquals(STORAGES.stream().map(storage -> cluster.spiffeId(Role.STORAGE, storage)).sorted().toList(),
                rails.requests().stream().map(RailsStandIn.Request::caller).sorted().toList());

        for (String storage : STORAGES) {
            assertEquals(pushed, git(gitDir(storage, path), "rev-parse", "main").trim(), storage);
            fsck(gitDir(storage, path));
        }
        RepositoryStateResponse state = clients.awaitConverged(path, Duration.ofSeconds(20));
        assertEquals(3, state.getGeneration(), state.toString());
        assertEquals(1, STORAGES.stream().map(storage -> checksum(storage, path)).distinct().count(),
                "every replica's checksum");
    }

    @Test
    void usersWithoutAPermittedIdentityChangeNothing() throws Exception {
        String path = "gateway/guarded.git";
        clients.create(path);
        clients.commit(path, "README.md", "guarded\n");
        Path work = dir.resolve("work-guarded");
        user(Role.CLIENT, "sam").ok(null, "clone", url(path), work.toString());
        Files.writeString(work.resolve("intruder.txt"), "should never land\n");
        user(Role.CLIENT, "sam").ok(work, "add", "intruder.txt");
        user(Role.CLIENT, "sam").ok(work, "commit", "-m", "not allowed");
        Map<String, String> before = refsOnEveryReplica(path);

        // No certificate: the TLS handshake itself is refused; git gets no answer at all.
        GitUser anonymous = new GitUser(dir.resolve("home-anonymous"), cluster.pki().roots(), null);
        long answeredBefore = gatewayRequests();
        GitUser.Result noCertificate = anonymous.run(work, "push", "origin", "main");
        assertFalse(noCertificate.ok(), noCertificate.output());
        // A transport failure (GnuTLS sees the alert or the reset that follows it), never an HTTP status...
        assertTrue(HANDSHAKE_REFUSED.matcher(noCertificate.output()).find(), noCertificate.output());
        assertFalse(noCertificate.output().contains("The requested URL returned error"), noCertificate.output());
        // ... because the gateway answered no request at all (the roles below get 403s, so it is up).
        assertEquals(answeredBefore, gatewayRequests(), "requests the gateway answered without a certificate");

        // Certificates of the cluster that are not end users: admin, storage, the edge itself. The gateway
        // forwards only client identities (the proxy would refuse them too).
        for (Role role : List.of(Role.ADMIN, Role.STORAGE, Role.EDGE)) {
            GitUser other = user(role, role == Role.STORAGE ? "storage-1" : role == Role.EDGE ? "gateway-1" : "admin-1");
            GitUser.Result result = other.run(work, "push", "origin", "main");
            assertFalse(result.ok(), role + ": " + result.output());
            assertTrue(result.output().contains("403"), role + ": " + result.output());
            GitUser.Result read = other.run(null, "ls-remote", url(path));
            assertFalse(read.ok(), role + " must not read either: " + read.output());
        }
        assertEquals(before, refsOnEveryReplica(path));
    }

    @Test
    void aPushTheAccessCheckDeniesIsRefusedAndChangesNothing() throws Exception {
        String path = "gateway/protected.git";
        clients.create(path);
        clients.commit(path, "README.md", "protected\n");
        GitUser pat = user(Role.CLIENT, "pat");
        Path work = dir.resolve("work-protected");
        pat.ok(null, "clone", url(path), work.toString());
        Files.writeString(work.resolve("change.txt"), "denied by the access check\n");
        pat.ok(work, "add", "change.txt");
        pat.ok(work, "commit", "-m", "protected branch");
        String refused = pat.ok(work, "rev-parse", "HEAD").trim();
        Map<String, String> before = refsOnEveryReplica(path);
        rails.answer(new RailsStandIn.Mode.Deny("main is a protected branch"));
        try {
            GitUser.Result push = pat.run(work, "push", "origin", "main");
            assertFalse(push.ok(), push.output());
            assertTrue(push.output().contains("main is a protected branch"), push.output());
        } finally {
            rails.answer(new RailsStandIn.Mode.Allow());
        }
        assertEquals(before, refsOnEveryReplica(path));
        for (String storage : STORAGES) {
            assertFalse(GitCli.run(gitDir(storage, path), "cat-file", "-e", refused).exitCode() == 0,
                    storage + " must not keep the refused commit");
        }
        // Allowed again, the same push lands everywhere.
        assertTrue(pat.run(work, "push", "origin", "main").ok());
        for (String storage : STORAGES) {
            assertEquals(refused, git(gitDir(storage, path), "rev-parse", "main").trim(), storage);
        }
    }

    @Test
    void notSmartHttpIsNotServed() throws Exception {
        GitUser pat = user(Role.CLIENT, "pat");
        // Dumb HTTP (no service parameter) and path escapes are refused at the gateway.
        GitUser.Result dumb = pat.run(null, Map.of("GIT_SMART_HTTP", "0"), "ls-remote", url("gateway/v2.git"));
        assertFalse(dumb.ok(), dumb.output());
        GitUser.Result escape = pat.run(null, "ls-remote", url("gateway/../../etc.git"));
        assertFalse(escape.ok(), escape.output());
    }

    /** The sum of the gateway's {@code gitward_gateway_requests_total}, read as an admin. */
    private long gatewayRequests() throws Exception {
        String metrics = SecurityAdminGrpc.newBlockingStub(cluster.channel(gateway, Role.ADMIN, "admin-1"))
                .withDeadlineAfter(10, TimeUnit.SECONDS).getMetrics(GetMetricsRequest.getDefaultInstance())
                .getPrometheusText();
        return metrics.lines().filter(line -> line.startsWith("gitward_gateway_requests_total{"))
                .mapToLong(line -> Long.parseLong(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    private Map<String, String> refsOnEveryReplica(String path) {
        Map<String, String> refs = new LinkedHashMap<>();
        for (String storage : STORAGES) {
            refs.put(storage, refs(gitDir(storage, path)));
        }
        return refs;
    }

    private String checksum(String storage, String path) {
        return MaintenanceServiceGrpc.newBlockingStub(asProxy.get(storage)).withDeadlineAfter(10, TimeUnit.SECONDS)
                .checksum(ChecksumRequest.newBuilder().setRepository(Requests.repository(MiniCluster.VIRTUAL_STORAGE, path))
                        .build()).getChecksum();
    }

    private GitUser user(Role role, String name) throws Exception {
        var files = Files.exists(cluster.pki().files(role, name).certificate()) ? cluster.pki().files(role, name)
                : cluster.pki().issue(role, name);
        return new GitUser(dir.resolve("home-" + role + "-" + name), cluster.pki().roots(), files);
    }

    private String url(String path) {
        return "https://127.0.0.1:" + port(gateway.ready().listeners().get("git-https")) + "/" + path;
    }

    private static int port(String address) {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    private Path gitDir(String storage, String path) {
        return cluster.node(storage).storageRoot().resolve(path);
    }
}
