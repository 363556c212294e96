package io.gitward.tests.storage;

import static io.gitward.tests.storage.GitCli.fsck;
import static io.gitward.tests.storage.GitCli.git;
import static io.gitward.tests.storage.GitCli.refs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitward.proto.GetMetricsRequest;
import io.gitward.proto.RepositoryStateResponse;
import io.gitward.proto.SecurityAdminGrpc;
import io.gitward.security.identity.Role;
import io.gitward.security.x509.Certificates;
import io.gitward.security.x509.Pem;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.cluster.MiniCluster.NodeSpec;
import io.gitward.tests.proxy.ProxyClients;
import io.gitward.tests.security.NodeConfig;
import io.gitward.tests.security.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.ResetCommand;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.URIish;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage node's access check, end to end: three storage node processes behind a proxy (phase 6), each
 * configured to ask a Rails-like HTTPS stand-in (mutual TLS, {@code client/rails}) before a push changes
 * references. A push through the proxy (JGit over the smart-HTTP bridge) lands on every replica only when the
 * stand-in allows it; a denial, an error answer, no answer, a stand-in that is down or that presents another
 * valid identity refuses the push with a reason the pusher sees, and leaves every replica as it was.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AccessCheckIT {
    private static final List<String> STORAGES = List.of("storage-1", "storage-2", "storage-3");
    private static final String PATH = "access/project.git";
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(2);

    @TempDir
    static Path dir;

    private MiniCluster cluster;
    private ProxyClients clients;
    private RailsStandIn rails;
    private TestPki.NodeFiles railsFiles;
    private SmartHttpBridge bridge;
    private Git local;
    private String primaryAtStart;

    /** One push attempt: the commit pushed and what the push said about refs/heads/main. */
    private record Attempt(String commit, RemoteRefUpdate update, String messages) {
    }

    @BeforeAll
    void start() throws Exception {
        cluster = MiniCluster.create(dir, "6");
        railsFiles = cluster.pki().issue(Role.CLIENT, "rails");
        rails = RailsStandIn.start(cluster.pki().roots(), railsFiles);
        List<NodeSpec> storages = new ArrayList<>();
        for (String name : STORAGES) {
            storages.add(NodeSpec.replica(name).with("storage.vote-timeout", "10s")
                    .with("storage.access-check.url", NodeConfig.quote(rails.url()))
                    .with("storage.access-check.identity", NodeConfig.quote(cluster.spiffeId(Role.CLIENT, "rails")))
                    .with("storage.access-check.timeout", CHECK_TIMEOUT.toSeconds() + "s"));
        }
        cluster.start(storages.toArray(NodeSpec[]::new));
        ClusterNode proxy = cluster.start(NodeSpec.proxy("proxy-1", STORAGES.toArray(String[]::new))).get(0);
        clients = new ProxyClients(cluster.channel(proxy, Role.CLIENT, "client-1"),
                cluster.channel(proxy, Role.ADMIN, "admin-1"));
        clients.create(PATH);
        clients.commit(PATH, "README.md", "hello\n");
        primaryAtStart = clients.state(PATH).getPrimary();
        bridge = SmartHttpBridge.start(clients.client(), MiniCluster.VIRTUAL_STORAGE);
        local = Git.init().setDirectory(dir.resolve("client").toFile()).setInitialBranch("main").call();
        local.remoteAdd().setName("origin").setUri(new URIish(bridge.url(PATH))).call();
        local.fetch().setRemote("origin").setRefSpecs(new RefSpec("+refs/heads/*:refs/remotes/origin/*")).call();
        local.checkout().setName("main").setCreateBranch(true).setStartPoint("origin/main").call();
    }

    @AfterAll
    void stop() throws Exception {
        if (local != null) {
            local.close();
        }
        if (bridge != null) {
            bridge.close();
        }
        if (rails != null) {
            rails.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void anAllowedPushReachesEveryReplicaAndTheEndpointSawEachStorageNodeAndTheChanges() throws Exception {
        rails.answer(new RailsStandIn.Mode.Allow());
        rails.clearRequests();
        String before = git(gitDir("storage-1"), "rev-parse", "main").trim();
        long generation = clients.state(PATH).getGeneration();

        Attempt attempt = push("allowed.txt");

        assertEquals(RemoteRefUpdate.Status.OK, attempt.update().getStatus(), attempt.messages());
        for (String storage : STORAGES) {
            assertEquals(attempt.commit(), git(gitDir(storage), "rev-parse", "main").trim(), storage);
            fsck(gitDir(storage));
        }
        RepositoryStateResponse state = clients.awaitConverged(PATH, Duration.ofSeconds(10));
        assertEquals(generation + 1, state.getGeneration(), state.toString());

        // Every replica asked, each with its own storage certificate, and said exactly what would change.
        List<RailsStandIn.Request> requests = rails.requests();
        Set<String> callers = requests.stream().map(RailsStandIn.Request::caller).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(STORAGES.stream().map(name -> cluster.spiffeId(Role.STORAGE, name)).collect(Collectors.toSet()), callers);
        assertEquals(STORAGES.size(), requests.size(), requests.toString());
        for (RailsStandIn.Request request : requests) {
            assertEquals("POST", request.method());
            assertEquals("/api/v4/internal/allowed", request.path());
            assertEquals("application/json", request.contentType());
            JsonNode body = request.body();
            assertEquals("http", body.path("protocol").asText());
            assertEquals(request.caller(), body.path("node").asText(), "the body names the calling node");
            assertEquals(MiniCluster.VIRTUAL_STORAGE, body.path("repository").path("storage_name").asText());
            assertEquals(PATH, body.path("repository").path("relative_path").asText());
            JsonNode change = body.path("changes").path(0);
            assertEquals(1, body.path("changes").size(), body.toString());
            assertEquals("refs/heads/main", change.path("ref").asText());
            assertEquals(before, change.path("old_id").asText());
            assertEquals(attempt.commit(), change.path("new_id").asText());
            assertFalse(body.toString().toLowerCase(java.util.Locale.ROOT).contains("token"), "no secret in the body");
        }
    }

    @Test
    @Order(2)
    void aDenialRefusesThePushWithTheEndpointsMessageAndChangesNoReplica() throws Exception {
        rails.answer(new RailsStandIn.Mode.Deny("GitLab: You are not allowed to push code to protected branches\n"
                + "\u001b[31mon this project."));
        // The line break and the escape character are gone: the pusher's terminal gets one plain line.
        assertRefusedAndUnchanged("denied.txt", "GitLab: You are not allowed to push code to protected branches [31mon"
                + " this project.");
    }

    @Test
    @Order(3)
    void aDenialOnThePrimaryAloneAbortsTheReplicasThatWereAllowedAtOnce() throws Exception {
        String primary = clients.state(PATH).getPrimary();
        rails.answer(new RailsStandIn.Mode.DenyOnly(Set.of(cluster.spiffeId(Role.STORAGE, primary)), "primary says no"));
        long start = System.nanoTime();
        assertRefusedAndUnchanged("primary-denied.txt", "primary says no");
        // The refusal vote decides the transaction: the allowed secondaries need not wait out vote or transaction timeouts.
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(took < 5_000, "refused in " + took + " ms");
    }

    @Test
    @Order(4)
    void anErrorAnswerRefusesThePush() throws Exception {
        rails.answer(new RailsStandIn.Mode.Status(500, "{\"status\": true}"));
        assertRefusedAndUnchanged("error.txt", "access check unavailable: the endpoint answered HTTP 500");
    }

    @Test
    @Order(5)
    void noAnswerWithinTheTimeoutRefusesThePush() throws Exception {
        rails.answer(new RailsStandIn.Mode.Hang());
        long start = System.nanoTime();
        assertRefusedAndUnchanged("hang.txt", "access check unavailable: no answer from 127.0.0.1:");
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(took >= CHECK_TIMEOUT.toMillis(), "refused after the timeout, not before: " + took + " ms");
        rails.answer(new RailsStandIn.Mode.Allow());
    }

    @Test
    @Order(6)
    void anEndpointWithAnotherValidIdentityIsNotAskedAndThePushIsRefused() throws Exception {
        TestPki.NodeFiles other = cluster.pki().issue(Role.CLIENT, "other");
        rails.stop();
        rails.restart(other);
        rails.answer(new RailsStandIn.Mode.Allow());
        rails.clearRequests();
        String expected = cluster.spiffeId(Role.CLIENT, "rails");
        String presented = cluster.spiffeId(Role.CLIENT, "other");
        Attempt attempt = assertRefusedAndUnchanged("impostor.txt", "access check unavailable: the endpoint at 127.0.0.1:");
        assertTrue(attempt.update().getMessage().contains("is not " + expected), attempt.update().getMessage());
        assertEquals(List.of(), rails.requests(), "nothing is sent to an endpoint that did not prove the pinned identity");
        for (String storage : STORAGES) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                String log = cluster.node(storage).output();
                assertTrue(log.contains("dialed " + expected + " but the peer is " + presented), storage + " log:\n" + log);
            });
        }
    }

    @Test
    @Order(7)
    void anEndpointThatIsDownRefusesThePushAndOnceBackThePushGoesThrough() throws Exception {
        rails.stop();
        assertRefusedAndUnchanged("down.txt", "access check unavailable: cannot connect to 127.0.0.1:");

        rails.restart(railsFiles);
        rails.answer(new RailsStandIn.Mode.Allow());
        Attempt attempt = push("back.txt");
        assertEquals(RemoteRefUpdate.Status.OK, attempt.update().getStatus(), attempt.messages());
        for (String storage : STORAGES) {
            assertEquals(attempt.commit(), git(gitDir(storage), "rev-parse", "main").trim(), storage);
        }
        clients.awaitConverged(PATH, Duration.ofSeconds(10));
    }

    @Test
    @Order(8)
    void aRotatedCertificateIsPresentedWithoutARestart() throws Exception {
        rails.answer(new RailsStandIn.Mode.Allow());
        rails.clearRequests();
        ClusterNode node = cluster.node("storage-1");
        TestPki.NodeFiles renewed = cluster.pki().renew(Role.STORAGE, "storage-1");
        String serial = Certificates.serialHex(Pem.readCertificates(renewed.certificate()).get(0));
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> node.output().contains("(serial " + serial + ")"));

        Attempt attempt = push("rotated.txt");

        assertEquals(RemoteRefUpdate.Status.OK, attempt.update().getStatus(), attempt.messages());
        List<String> serials = rails.requests().stream().filter(request -> request.caller().equals(node.identity()))
                .map(RailsStandIn.Request::serial).toList();
        assertEquals(List.of(serial), serials, "storage-1 asked once, with its new certificate");
    }

    @Test
    @Order(9)
    void decisionsAreCountedAndNoKeyIsLogged() throws Exception {
        for (String storage : STORAGES) {
            ClusterNode node = cluster.node(storage);
            String text = SecurityAdminGrpc.newBlockingStub(cluster.channel(node, Role.ADMIN, "metrics-reader"))
                    .withDeadlineAfter(10, TimeUnit.SECONDS).getMetrics(GetMetricsRequest.getDefaultInstance())
                    .getPrometheusText();
            boolean primaryOnce = storage.equals(primaryAtStart);
            assertEquals(primaryOnce ? 2 : 1, counter(text, "denied"), storage + ":\n" + text);
            assertEquals(primaryOnce ? 3 : 4, counter(text, "allowed"), storage + ":\n" + text);
            assertEquals(4, counter(text, "error"), storage + ":\n" + text);
            assertFalse(node.output().contains("PRIVATE KEY"), storage + " logged a key");
        }
    }

    private static long counter(String text, String result) {
        String prefix = "gitward_access_checks_total{result=\"" + result + "\"} ";
        return text.lines().filter(line -> line.startsWith(prefix))
                .mapToLong(line -> (long) Double.parseDouble(line.substring(prefix.length()))).sum();
    }

    /** Pushes a new commit and checks that it was refused with {@code reason} and that no replica changed. */
    private Attempt assertRefusedAndUnchanged(String file, String reason) throws Exception {
        Map<String, String> before = new LinkedHashMap<>();
        STORAGES.forEach(storage -> before.put(storage, refs(gitDir(storage))));
        RepositoryStateResponse state = clients.state(PATH);

        Attempt attempt = push(file);

        assertEquals(RemoteRefUpdate.Status.REJECTED_OTHER_REASON, attempt.update().getStatus(), attempt.messages());
        assertTrue(attempt.update().getMessage().startsWith(reason), "the pusher reads: " + attempt.update().getMessage());
        for (String storage : STORAGES) {
            assertEquals(before.get(storage), refs(gitDir(storage)), storage + " references");
            assertNotEquals(0, GitCli.run(gitDir(storage), "cat-file", "-e", attempt.commit()).exitCode(),
                    storage + " kept the refused commit " + attempt.commit());
            try (Stream<Path> objects = Files.list(gitDir(storage).resolve("objects"))) {
                assertEquals(List.of(), objects.filter(path -> path.getFileName().toString().startsWith("incoming-"))
                        .toList(), storage + " kept a quarantine");
            }
        }
        RepositoryStateResponse after = clients.state(PATH);
        assertEquals(state.getGeneration(), after.getGeneration(), after.toString());
        assertTrue(ProxyClients.converged(after), "every replica up to date with equal checksums:\n" + after);
        return attempt;
    }

    /** A new commit on top of the cluster's main, pushed through the proxy. */
    private Attempt push(String file) throws Exception {
        local.fetch().setRemote("origin").setRefSpecs(new RefSpec("+refs/heads/*:refs/remotes/origin/*")).call();
        local.reset().setMode(ResetCommand.ResetType.HARD).setRef("origin/main").call();
        Files.writeString(dir.resolve("client").resolve(file), file + "\n");
        local.add().addFilepattern(file).call();
        PersonIdent me = new PersonIdent("Pat Pusher", "pat@example.com");
        String commit = local.commit().setMessage("add " + file).setAuthor(me).setCommitter(me).call().name();
        PushResult result = local.push().setRemote("origin").setRefSpecs(new RefSpec("main:refs/heads/main")).call()
                .iterator().next();
        return new Attempt(commit, result.getRemoteUpdate("refs/heads/main"), result.getMessages());
    }

    private Path gitDir(String storage) {
        return cluster.node(storage).storageRoot().resolve(PATH);
    }
}
