package io.gitward.bench;

import com.google.protobuf.ByteString;
import io.gitward.pki.CaLayout;
import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.KeyType;
import io.gitward.pki.SubjectAltNames;
import io.gitward.proto.RegisterTransactionRequest;
import io.gitward.proto.TransactionServiceGrpc;
import io.gitward.proto.VoteOutcome;
import io.gitward.proto.VotePhase;
import io.gitward.proto.VoteRequest;
import io.gitward.proto.VoteResponse;
import io.gitward.proto.Voter;
import io.gitward.proto.VotingStrategy;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.server.ListenAddress;
import io.gitward.security.server.NodeKind;
import io.gitward.security.server.NodeRuntime;
import io.gitward.security.tls.HandshakeFailures;
import io.gitward.security.tls.KeyMaterial;
import io.gitward.security.tls.NodeCredentials;
import io.gitward.security.tls.TlsContexts;
import io.gitward.security.tls.TlsProvider;
import io.gitward.security.tls.TrustState;
import io.gitward.security.x509.RevocationPolicy;
import io.gitward.security.x509.TrustBundles;
import io.gitward.security.x509.TrustMaterial;
import io.gitward.transaction.CoordinatorNode;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * {@code gitward bench tx}: a standalone coordinator in this JVM on a real mTLS socket (phase 6, authorization
 * enforced), a proxy registering transactions and three storage identities voting on their own connections.
 * Reports transactions/s, votes/s (PREPARED and COMMITTED) and the PREPARED vote round trip.
 */
public final class TransactionBenchmarkRunner {
    private static final List<String> VOTERS = List.of("storage-1", "storage-2", "storage-3");

    private final boolean quick;
    private final Path out;

    public TransactionBenchmarkRunner(boolean quick, Path out) {
        this.quick = quick;
        this.out = out;
    }

    public int run() throws Exception {
        Path work = Files.createTempDirectory("gitward-bench-tx");
        try {
            CertificateAuthority ca = CertificateAuthority.init(work.resolve("ca"), new CertificateAuthority.InitOptions(
                    TrustDomain.of("bench.gitward"), Duration.ofDays(30), KeyType.EC_P256, false, null, Duration.ofDays(1)),
                    Clock.systemUTC());
            issue(ca, Role.COORDINATOR, "coordinator-1");
            CaLayout layout = ca.layout();
            Path coordinatorDir = layout.nodeDir(Role.COORDINATOR, "coordinator-1");
            Path config = work.resolve("coordinator.conf");
            Files.writeString(config, String.join("\n",
                    "node.name = coordinator-1",
                    "node.data-dir = \"" + work.resolve("data") + "\"",
                    "listen.grpc-plaintext = null",
                    "listen.grpc-tls = \"127.0.0.1:0\"",
                    "security.phase = 6",
                    "security.trust-domain = bench.gitward",
                    "security.tls.key = \"" + CaLayout.key(coordinatorDir) + "\"",
                    "security.tls.certificate-chain = \"" + CaLayout.chain(coordinatorDir) + "\"",
                    "security.trust.roots = \"" + layout.roots() + "\"",
                    "security.trust.crls = [\"" + layout.crl() + "\"]", ""));
            TrustState trust = new TrustState(new TrustMaterial(List.of(TrustBundles.load(ca.trustDomain(), layout.roots(),
                    List.of(layout.crl()), RevocationPolicy.REQUIRE))), io.gitward.security.identity.IdentityMode.URI_SAN,
                    true, 1);
            NodeIdentity coordinator = NodeIdentity.of("bench.gitward", "coordinator", "coordinator-1");
            try (NodeRuntime node = NodeRuntime.start(NodeKind.COORDINATOR, config, Map.of(), new CoordinatorNode())) {
                ListenAddress address = ListenAddress.parse(node.ready().listeners().get("grpc-tls"));
                ManagedChannel proxy = channel(ca, trust, Role.PROXY, "proxy-1", coordinator, address);
                List<ManagedChannel> voters = new ArrayList<>();
                for (String voter : VOTERS) {
                    voters.add(channel(ca, trust, Role.STORAGE, voter, coordinator, address));
                }
                byte[] hash = MessageDigest.getInstance("SHA-256").digest("update".getBytes(StandardCharsets.UTF_8));
                long warmupMillis = quick ? 500 : 3000;
                long measureMillis = quick ? 2000 : 15000;
                runTransactions(proxy, voters, hash, warmupMillis, null);
                Histogram roundTrips = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
                long start = System.nanoTime();
                long transactions = runTransactions(proxy, voters, hash, measureMillis, roundTrips);
                double seconds = (System.nanoTime() - start) / 1e9;
                String report = String.format(Locale.ROOT, "# Transaction benchmark%n%nDate: %s; %d cores; %s %s; mode: %s. "
                        + "Standalone coordinator, phase 6 (mTLS via BoringSSL, authorization enforced, every vote bound to "
                        + "its voter's certificate); one proxy and three storage identities, each on its own connection, in "
                        + "one JVM; majority strategy; transactions one after another.%n%n"
                        + "| transactions/s | votes/s (PREPARED + COMMITTED) | PREPARED round trip p50 ms | p99 ms | p99.9 ms "
                        + "| transactions |%n|---:|---:|---:|---:|---:|---:|%n| %.0f | %.0f | %.3f | %.3f | %.3f | %d |%n",
                        LocalDate.now(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                        System.getProperty("java.version"), quick ? "quick" : "full", transactions / seconds,
                        transactions * 6 / seconds, roundTrips.getValueAtPercentile(50) / 1e6,
                        roundTrips.getValueAtPercentile(99) / 1e6, roundTrips.getValueAtPercentile(99.9) / 1e6, transactions);
                Files.createDirectories(out);
                Files.writeString(out.resolve("report.md"), report, StandardCharsets.UTF_8);
                System.out.print(report);
                System.out.println("\nwritten to " + out.resolve("report.md").toAbsolutePath());
                proxy.shutdownNow();
                voters.forEach(ManagedChannel::shutdownNow);
            }
            return 0;
        } finally {
            try (var walk = Files.walk(work)) {
                for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    /** Runs whole transactions (register, 3 PREPARED votes at once, 3 COMMITTED votes) for the given time. */
    private static long runTransactions(ManagedChannel proxy, List<ManagedChannel> voters, byte[] hash, long millis,
            Histogram roundTrips) throws Exception {
        RegisterTransactionRequest.Builder register = RegisterTransactionRequest.newBuilder().setPrimary("storage-1")
                .setStrategy(VotingStrategy.MAJORITY).setTimeoutMillis(10_000).setRepository("bench.git");
        for (String voter : VOTERS) {
            register.addVoters(Voter.newBuilder().setName(voter).setWeight(1));
        }
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long count = 0;
        while (System.nanoTime() < end && count < 10_000_000) {
            String id = TransactionServiceGrpc.newBlockingStub(proxy).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .register(register.build()).getTransactionId();
            for (VotePhase phase : List.of(VotePhase.PREPARED, VotePhase.COMMITTED)) {
                List<com.google.common.util.concurrent.ListenableFuture<VoteResponse>> votes = new ArrayList<>();
                long sent = System.nanoTime();
                for (int i = 0; i < VOTERS.size(); i++) {
                    votes.add(TransactionServiceGrpc.newFutureStub(voters.get(i)).withDeadlineAfter(10, TimeUnit.SECONDS)
                            .vote(VoteRequest.newBuilder().setTransactionId(id).setVoter(VOTERS.get(i)).setPhase(phase)
                                    .setHash(ByteString.copyFrom(hash)).build()));
                }
                for (com.google.common.util.concurrent.ListenableFuture<VoteResponse> vote : votes) {
                    VoteResponse response = vote.get(10, TimeUnit.SECONDS);
                    if (response.getOutcome() != VoteOutcome.COMMIT) {
                        throw new IllegalStateException("vote answered " + response);
                    }
                    if (roundTrips != null && phase == VotePhase.PREPARED) {
                        roundTrips.recordValue(Math.min(System.nanoTime() - sent, roundTrips.getHighestTrackableValue()));
                    }
                }
            }
            count++;
        }
        return count;
    }

    private static ManagedChannel channel(CertificateAuthority ca, TrustState trust, Role role, String name,
            NodeIdentity coordinator, ListenAddress address) throws Exception {
        KeyMaterial key = issue(ca, role, name);
        NodeCredentials credentials = new NodeCredentials(key, trust, new HandshakeFailures(), Clock.systemUTC());
        return NettyChannelBuilder.forAddress(address.host(), address.port())
                .sslContext(TlsContexts.client(credentials, key, coordinator, TlsProvider.BORINGSSL)).build();
    }

    private static KeyMaterial issue(CertificateAuthority ca, Role role, String name) throws Exception {
        ca.issue(new CertificateAuthority.LeafRequest(role, name, Duration.ofDays(1), KeyType.EC_P256, SubjectAltNames.LOCAL));
        Path dir = ca.layout().nodeDir(role, name);
        return KeyMaterial.load(CaLayout.key(dir), CaLayout.chain(dir));
    }
}
