package io.gitward.tests.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.cli.client.ClientEndpoint;
import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.KeyType;
import io.gitward.pki.SubjectAltNames;
import io.gitward.proto.FindRefRequest;
import io.gitward.proto.RefServiceGrpc;
import io.gitward.proto.ReplicaState;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryStateResponse;
import io.gitward.security.identity.Role;
import io.gitward.security.x509.Pem;
import io.gitward.tests.GitwardProcess;
import io.gitward.tests.security.ProbeCaller;
import io.gitward.tests.security.ServerCertificateProbe;
import io.gitward.tests.storage.GitCli;
import io.gitward.tests.storage.Requests;
import io.grpc.Status;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificates change under load on a local cluster ({@code ./gitward up}, real processes), through the operator
 * commands, while a client reads and writes on one channel (retries off, waitForReady off). First {@code revoke} of a
 * storage node (not the repository's primary): measured from each peer's CRL file change, the revoked node's
 * outbound calls (its votes) are refused and every connection it had with a peer, inbound and outbound, is closed
 * by that peer, each within 2 s; the proxy routes around it; every acknowledged write is on both remaining
 * replicas, whose checksums agree. Then, with a Git fetch stream held open through the proxy, {@code rotate} three
 * times (the first brings the revoked node back with a new key; every node serves a new serial on a fresh
 * handshake each time) and a CA rollover {@code ca prepare → activate → retire}: no call or attempt fails, the
 * stream survives and still answers, a leaf of the retired CA is refused afterwards.
 */
class RotationRevocationIT {
    private static final Duration COMMAND = Duration.ofMinutes(4);
    private static final int ROTATIONS = 3;
    private static final long LIMIT_MILLIS = 2000;
    private static final String TRUST_DOMAIN = "local.gitward";
    private static final String PATH = "rotate.git";

    @TempDir
    Path dir;

    private Path cluster;
    private LocalClusterView view;
    private final AreaChecks rotationChecks = new AreaChecks("rotation");
    private final AreaChecks revocationChecks = new AreaChecks("revocation");

    @AfterEach
    void down() throws Exception {
        if (cluster != null) {
            gitward("down", "--dir", cluster.toString());
        }
    }

    @Test
    void aRevokedStorageNodeIsCutOffWithinTwoSecondsAndRotationsAndACaRolloverFailNoCall() throws Exception {
        long started = System.nanoTime();
        cluster = dir.resolve("cluster");
        view = new LocalClusterView(cluster, TRUST_DOMAIN);
        succeeds("up");
        assertEquals(0, gitward("client", "--dir", cluster.toString(), "create", PATH).exitCode());
        assertEquals(0, gitward("client", "--dir", cluster.toString(), "write", PATH, "README.md", "hello").exitCode());
        Map<String, Integer> ports = view.tlsPorts();
        Map<String, String> revocation = new LinkedHashMap<>();
        Map<String, String> rotation = new LinkedHashMap<>();
        try {
            // 1. Revocation first: every connection in the cluster was then authenticated by the certificates being
            // revoked. (A connection authenticated by a certificate of a retired CA is not: the maximum connection age
            // bounds those, see the README.)
            try (ClusterLoad load = ClusterLoad.start(cluster, PATH)) {
                load.awaitCalls(20);
                revoke(load, ports, revocation);
            }
            revocation.put("runtime-s", Long.toString(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)));
            // 2. Rotation: the first rotate also gives the revoked node a new key, the way back into the cluster.
            rotate(ports, rotation);
        } finally {
            rotation.put("runtime-s", Long.toString(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)));
            revocationChecks.record(revocation);
            rotationChecks.record(rotation);
        }
        revocationChecks.assertPassed();
        rotationChecks.assertPassed();
    }

    /**
     * Three rotations and a CA rollover under a fresh load and a held fetch stream: no failed call or attempt, a new
     * serial on every node at every step, the stream still answers, a leaf of the retired CA is refused.
     */
    private void rotate(Map<String, Integer> ports, Map<String, String> figures) throws Exception {
        Path oldClient = Files.createDirectories(dir.resolve("old-client"));
        for (String file : List.of("chain.pem", "key.pem")) {
            Files.copy(cluster.resolve("clients/client-1/tls/" + file), oldClient.resolve(file));
        }
        Map<String, Long> failuresBefore = view.handshakeFailures(ports.keySet());
        try (ClusterLoad load = ClusterLoad.start(cluster, PATH);
                ClientEndpoint.Connection streamConnection = view.endpoint("client-1", "proxy-1", Role.PROXY, true).open()) {
            String head = RefServiceGrpc.newBlockingStub(streamConnection.calls()).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .findRef(FindRefRequest.newBuilder().setRepository(repository()).setName("refs/heads/main").build())
                    .getReference().getTarget();
            HeldFetch fetch = HeldFetch.open(streamConnection.calls(), repository(), head);
            load.awaitCalls(20);
            assertRefused(gitward("ca", "activate", "--dir", cluster.toString()), "run ./gitward ca prepare first");
            assertRefused(gitward("ca", "retire", "--dir", cluster.toString()), "no previous CA");
            Map<String, Set<BigInteger>> serials = new TreeMap<>();
            observeNewSerials(ports, serials, "before");
            int newSerials = 0;
            for (int i = 1; i <= ROTATIONS; i++) {
                succeeds("rotate");
                newSerials += observeNewSerials(ports, serials, "rotation " + i);
                load.awaitCalls(load.succeeded() + 20);
            }
            succeeds("ca", "prepare");
            assertRefused(gitward("ca", "prepare", "--dir", cluster.toString()), "rollover is in progress");
            load.awaitCalls(load.succeeded() + 20);
            succeeds("ca", "activate");
            newSerials += observeNewSerials(ports, serials, "ca activate");
            load.awaitCalls(load.succeeded() + 20);
            succeeds("ca", "retire");
            load.awaitCalls(load.succeeded() + 20);
            load.stop();

            Map<String, Long> failuresAfter = view.handshakeFailures(ports.keySet());
            boolean streamAlive = fetch.open();
            String fetched = streamAlive ? fetch.finish(Duration.ofSeconds(60)) : String.valueOf(fetch.error());
            GitwardProcess.Result oldLeaf = listAs(ports.get("proxy-1"), oldClient.resolve("chain.pem"),
                    oldClient.resolve("key.pem"));
            Path current = cluster.resolve("clients/client-1/tls");
            GitwardProcess.Result newLeaf = listAs(ports.get("proxy-1"), current.resolve("chain.pem"),
                    current.resolve("key.pem"));
            Map<String, Long> handshakeFailures = byReason(failuresBefore, failuresAfter);
            List<String> failed = load.failures();
            int calls = load.succeeded() + failed.size();
            int attempts = load.attempts();
            int failedAttempts = load.failedAttempts();
            rotationChecks.check("no failed call", failed.isEmpty(), "failed calls: " + failed);
            rotationChecks.check("no failed attempt", failedAttempts == 0, failedAttempts + " attempts failed");
            rotationChecks.check("one attempt per call", attempts == calls, attempts + " attempts for " + calls + " calls");
            rotationChecks.check("every node served a new serial at every step", newSerials == ports.size() * (ROTATIONS + 1),
                    newSerials + " new serials for " + ports.size() + " nodes: " + serials);
            rotationChecks.check("the held stream survived and answered", streamAlive && fetched.contains("PACK"),
                    "stream: " + fetched.substring(0, Math.min(200, fetched.length())));
            rotationChecks.check("a leaf of the retired CA is refused", oldLeaf.exitCode() == 1
                    && oldLeaf.output().contains("UNAVAILABLE"), oldLeaf.output());
            rotationChecks.check("the current leaf is accepted", newLeaf.exitCode() == 0, newLeaf.output());
            figures.put("calls", Integer.toString(calls));
            figures.put("attempts", Integer.toString(attempts));
            figures.put("failed", Integer.toString(failed.size()));
            figures.put("attempt-errors", Integer.toString(failedAttempts));
            figures.put("reconnects", Integer.toString(load.reconnects()));
            figures.put("unplanned-reconnects", Integer.toString(load.reconnects() - load.switches()));
            figures.put("handshake-failures", Long.toString(handshakeFailures.values().stream().mapToLong(Long::longValue)
                    .sum()));
            handshakeFailures.forEach((reason, count) -> figures.put("handshake-failures-" + reason, Long.toString(count)));
            figures.put("rotations", Integer.toString(ROTATIONS));
            figures.put("ca-rollovers", "1");
            figures.put("new-serials", Integer.toString(newSerials));
            figures.put("stream", streamAlive ? "survived" : "broken");
            System.out.println("[rotation] handshake failures by node and reason, before " + failuresBefore + " after "
                    + failuresAfter);
        }
    }

    /** The growth of each reason's count, summed over the nodes ("node/reason" keys), zero growths left out. */
    private static Map<String, Long> byReason(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> growth = new TreeMap<>();
        after.forEach((key, count) -> {
            long grew = count - before.getOrDefault(key, 0L);
            if (grew > 0) {
                growth.merge(key.substring(key.indexOf('/') + 1), grew, Long::sum);
            }
        });
        return growth;
    }

    /**
     * Revokes a storage node that is not the repository's primary while {@code load} runs; measures, from each
     * peer's CRL change, when its votes are refused and when each of its connections with a peer is gone.
     */
    private void revoke(ClusterLoad load, Map<String, Integer> ports, Map<String, String> figures) throws Exception {
        RepositoryStateResponse before = view.state(PATH);
        String victim = before.getReplicasList().stream().map(ReplicaState::getStorage)
                .filter(storage -> !storage.equals(before.getPrimary())).sorted().findFirst().orElseThrow();
        Map<String, Long> pids = view.pids();
        CertificateAuthority.open(cluster.resolve("pki"), null, Clock.systemUTC()).issue(new CertificateAuthority.LeafRequest(
                Role.PROXY, "vote-probe", Duration.ofHours(1), KeyType.EC_P256, SubjectAltNames.LOCAL));
        Map<TcpConnections.End, String> peered = new LinkedHashMap<>();
        try (VoteProbe votes = VoteProbe.open(victim, ports.get(victim), cluster.resolve("pki/nodes/proxy/vote-probe"),
                cluster.resolve("pki/ca/roots.pem"), "127.0.0.1:" + ports.get("coordinator-1"),
                "spiffe://" + TRUST_DOMAIN + "/coordinator/coordinator-1", repository())) {
            Status.Code baseline = votes.vote();
            revocationChecks.check("before: the node's vote reaches the coordinator", baseline == Status.Code.ABORTED,
                    "a vote on a transaction the coordinator does not know comes back ABORTED, got " + baseline);
            Awaitility.await("the storage node is connected to the proxy and the coordinator").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200)).until(() -> {
                        peered.clear();
                        peered.putAll(view.connectionsWithPeers(victim));
                        return peered.containsValue("proxy-1") && peered.containsValue("coordinator-1");
                    });
            try (CutOffWatch watch = new CutOffWatch(pids.get(victim), peered, votes)) {
                GitwardProcess.Result revoked = gitward("revoke", victim, "--dir", cluster.toString());
                assertEquals(0, revoked.exitCode(), revoked.output());
                try {
                    Awaitility.await("the revoked node is refused and cut off").atMost(Duration.ofSeconds(30))
                            .pollInterval(Duration.ofMillis(100)).until(watch::cutOff);
                } catch (ConditionTimeoutException e) {
                    throw new AssertionError(victim + " was not cut off: " + watch + "; open now "
                            + view.connectionsWithPeers(victim) + "\n" + view.revocationLog(), e);
                }
                long refusalMillis = watch.refusedAt() - view.publishedAt("coordinator-1");
                long closeMillis = 0;
                for (Map.Entry<TcpConnections.End, String> connection : peered.entrySet()) {
                    closeMillis = Math.max(closeMillis, watch.closedAt().get(connection.getKey())
                            - view.publishedAt(connection.getValue()));
                }
                revocationChecks.check("its votes are refused within 2 s", refusalMillis <= LIMIT_MILLIS,
                        "refused " + refusalMillis + " ms after the coordinator's CRL changed");
                revocationChecks.check("its connections are closed by its peers within 2 s", closeMillis <= LIMIT_MILLIS,
                        "the last of " + peered + " closed " + closeMillis + " ms after that peer's CRL changed");
                figures.put("victim", victim);
                figures.put("refusal-ms", Long.toString(refusalMillis));
                figures.put("close-ms-max", Long.toString(closeMillis));
                figures.put("connections-closed", Integer.toString(peered.size()));
                // A dial made now is certainly a new handshake: the coordinator refuses it and counts it.
                Status.Code afterwards = votes.vote();
                revocationChecks.check("afterwards: a new connection of it is refused", VoteProbe.refused(afterwards),
                        "a vote after the cut-off came back " + afterwards);
                System.out.println("[revocation] " + victim + ": " + watch + "; CRL published at "
                        + view.publishedAt(ports.keySet()) + "\n" + view.revocationLog());
            }
        }
        routedAroundAndNothingLost(load, victim, figures);
    }

    /** The proxy marks the revoked node outdated, the load goes on; every acknowledged write is on the other two. */
    private void routedAroundAndNothingLost(ClusterLoad load, String victim, Map<String, String> figures) throws Exception {
        Awaitility.await("the proxy marks " + victim + " outdated").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(300)).until(() -> replica(view.state(PATH), victim).map(r -> !r.getUpToDate())
                        .orElse(false));
        load.awaitCalls(load.succeeded() + 40);
        load.stop();
        List<String> failed = load.failures();
        List<String> acknowledged = load.acknowledged();
        RepositoryStateResponse after = view.state(PATH);
        List<ReplicaState> remaining = after.getReplicasList().stream().filter(r -> !r.getStorage().equals(victim)).toList();
        Set<String> checksums = new HashSet<>();
        remaining.forEach(replica -> checksums.add(replica.getChecksum()));
        int lost = 0;
        for (ReplicaState replica : remaining) {
            Set<String> history = Set.copyOf(GitCli.git(cluster.resolve("nodes/" + replica.getStorage() + "/repos/" + PATH),
                    "rev-list", "main").lines().toList());
            lost = Math.max(lost, (int) acknowledged.stream().filter(commit -> !history.contains(commit)).count());
        }
        revocationChecks.check("the remaining replicas are up to date and equal", remaining.stream()
                .allMatch(ReplicaState::getUpToDate) && checksums.size() == 1 && !checksums.contains(""), after.toString());
        revocationChecks.check("no acknowledged write is lost", lost == 0, lost + " of " + acknowledged.size()
                + " acknowledged commits missing on a remaining replica");
        revocationChecks.check("only a few calls fail during the switch", failed.size() <= 5, "failed: " + failed);
        long coordinatorRevoked = view.handshakeFailures(List.of("coordinator-1")).getOrDefault("coordinator-1/revoked", 0L);
        revocationChecks.check("the coordinator counts the refused handshakes", coordinatorRevoked >= 1,
                "coordinator-1 tls_handshake_failures{reason=revoked} = " + coordinatorRevoked);
        figures.put("calls", Integer.toString(load.succeeded() + failed.size()));
        figures.put("writes-acked", Integer.toString(acknowledged.size()));
        figures.put("failed", Integer.toString(failed.size()));
        figures.put("lost", Integer.toString(lost));
        figures.put("revoked-handshakes", Long.toString(coordinatorRevoked));
        System.out.println("[revocation] calls that failed: " + failed);
    }

    /** Counts a new serial per node whose fresh handshake shows a certificate not seen on it before. */
    private int observeNewSerials(Map<String, Integer> ports, Map<String, Set<BigInteger>> seen, String step)
            throws Exception {
        Path client = cluster.resolve("clients/client-1/tls");
        ProbeCaller.ClientIdentity identity = new ProbeCaller.ClientIdentity(Pem.readPrivateKey(client.resolve("key.pem"),
                null), Pem.readCertificates(client.resolve("chain.pem")));
        int fresh = 0;
        for (Map.Entry<String, Integer> node : ports.entrySet()) {
            BigInteger serial = ServerCertificateProbe.serialOf(node.getValue(), identity);
            if (seen.computeIfAbsent(node.getKey(), name -> new HashSet<>()).add(serial) && !step.equals("before")) {
                fresh++;
            }
        }
        return fresh;
    }

    private static java.util.Optional<ReplicaState> replica(RepositoryStateResponse state, String storage) {
        return state.getReplicasList().stream().filter(r -> r.getStorage().equals(storage)).findFirst();
    }

    private static Repository repository() {
        return Requests.repository("default", PATH);
    }

    private GitwardProcess.Result listAs(int proxyPort, Path chain, Path key) throws Exception {
        return gitward("client", "--address", "127.0.0.1:" + proxyPort, "--ca", cluster.resolve(
                "clients/client-1/tls/roots.pem").toString(), "--server-id", "spiffe://" + TRUST_DOMAIN + "/proxy/proxy-1",
                "--cert", chain.toString(), "--key", key.toString(), "list", PATH);
    }

    private void succeeds(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(args));
        command.addAll(List.of("--dir", cluster.toString()));
        GitwardProcess.Result result = gitward(command.toArray(String[]::new));
        assertEquals(0, result.exitCode(), String.join(" ", command) + "\n" + result.output());
    }

    private static void assertRefused(GitwardProcess.Result result, String reason) {
        assertEquals(1, result.exitCode(), result.output());
        assertTrue(result.output().contains(reason), result.output());
    }

    private GitwardProcess.Result gitward(String... args) throws Exception {
        System.out.println("[step] " + java.time.Instant.now() + " gitward " + String.join(" ", args));
        return GitwardProcess.run(dir.resolve("gitward-" + args[0] + "-" + System.nanoTime() + ".log"), Map.of(), COMMAND,
                args);
    }

}
