package io.gitward.bench;

import com.google.protobuf.ByteString;
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
import io.gitward.security.server.ListenAddress;
import io.gitward.security.server.NodeKind;
import io.gitward.security.server.NodeRuntime;
import io.gitward.transaction.CoordinatorNode;
import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
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
            BenchPki pki = BenchPki.create(work.resolve("ca"));
            Path config = pki.nodeConfig(work, Role.COORDINATOR, "coordinator-1");
            NodeIdentity coordinator = BenchPki.identity("coordinator", "coordinator-1");
            try (NodeRuntime node = NodeRuntime.start(NodeKind.COORDINATOR, config, Map.of(), new CoordinatorNode())) {
                ListenAddress address = ListenAddress.parse(node.ready().listeners().get("grpc-tls"));
                ManagedChannel proxy = pki.channel(Role.PROXY, "proxy-1", coordinator, address);
                List<ManagedChannel> voters = new ArrayList<>();
                for (String voter : VOTERS) {
                    voters.add(pki.channel(Role.STORAGE, voter, coordinator, address));
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
}
