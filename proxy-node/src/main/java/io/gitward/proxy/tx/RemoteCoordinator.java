package io.gitward.proxy.tx;

import static java.util.Objects.requireNonNull;

import io.gitward.proto.RegisterTransactionRequest;
import io.gitward.proto.StopTransactionRequest;
import io.gitward.proto.StopTransactionResponse;
import io.gitward.proto.TransactionContext;
import io.gitward.proto.TransactionServiceGrpc;
import io.gitward.proto.VotingStrategy;
import io.gitward.security.runtime.PeerEndpoint;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.transaction.Registration;
import io.gitward.transaction.TransactionManager;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/** A standalone coordinator, called with the proxy's own identity after the coordinator proved its own. */
public final class RemoteCoordinator implements Coordinator, AutoCloseable {
    private static final long DEADLINE_SECONDS = 10;

    private final PeerEndpoint endpoint;
    private final SecurityRuntime security;
    private ManagedChannel channel;

    public RemoteCoordinator(PeerEndpoint endpoint, SecurityRuntime security) {
        this.endpoint = requireNonNull(endpoint, "endpoint");
        this.security = requireNonNull(security, "security");
    }

    private synchronized TransactionServiceGrpc.TransactionServiceBlockingStub stub() throws CoordinatorException {
        if (channel == null || channel.isShutdown()) {
            try {
                channel = security.outbound().dial(endpoint);
            } catch (SSLException e) {
                throw new CoordinatorException("cannot set up TLS to coordinator " + endpoint.identity() + ": "
                        + e.getMessage(), e);
            }
        }
        return TransactionServiceGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public String register(Registration registration) throws CoordinatorException {
        RegisterTransactionRequest.Builder request = RegisterTransactionRequest.newBuilder()
                .setPrimary(registration.primary()).setStrategy(VotingStrategy.valueOf(registration.strategy().name()))
                .setTimeoutMillis((int) registration.timeout().toMillis()).setRepository(registration.repository());
        for (Map.Entry<String, Integer> voter : registration.voters().entrySet()) {
            request.addVoters(io.gitward.proto.Voter.newBuilder().setName(voter.getKey()).setWeight(voter.getValue()));
        }
        try {
            return stub().register(request.build()).getTransactionId();
        } catch (StatusRuntimeException e) {
            throw new CoordinatorException("coordinator " + endpoint.identity() + " refused the registration: "
                    + e.getStatus().getCode() + " " + e.getStatus().getDescription(), e);
        }
    }

    @Override
    public Set<String> finish(String transactionId, Set<String> succeeded, Duration wait) throws CoordinatorException {
        long waitMillis = Math.max(0, Math.min(wait.toMillis(), TransactionManager.MAX_COMMIT_WAIT.toMillis()));
        try {
            StopTransactionResponse stopped = stub().withDeadlineAfter(DEADLINE_SECONDS * 1000 + waitMillis,
                    TimeUnit.MILLISECONDS).stop(StopTransactionRequest.newBuilder().setTransactionId(transactionId)
                    .addAllAwaitCommitted(succeeded).setAwaitCommittedMillis((int) waitMillis).build());
            return new TreeSet<>(stopped.getCommittedVotersList());
        } catch (StatusRuntimeException e) {
            throw new CoordinatorException("cannot end transaction " + transactionId + " on coordinator "
                    + endpoint.identity() + ": " + e.getStatus().getCode() + " " + e.getStatus().getDescription(), e);
        }
    }

    @Override
    public void stop(String transactionId) {
        try {
            stub().stop(StopTransactionRequest.newBuilder().setTransactionId(transactionId).build());
        } catch (StatusRuntimeException | CoordinatorException e) {
            // already ended or unreachable: voters that never voted time out there
        }
    }

    @Override
    public TransactionContext context(String transactionId, String voter) {
        TransactionContext.Builder context = TransactionContext.newBuilder().setTransactionId(transactionId).setVoter(voter)
                .setCoordinatorIdentity(endpoint.identity().toString());
        if (endpoint.tls() != null) {
            context.setCoordinatorTlsAddress(endpoint.tls().format());
        }
        if (endpoint.plaintext() != null) {
            context.setCoordinatorPlaintextAddress(endpoint.plaintext().format());
        }
        LegacyToken.addIfEnabled(context, security);
        return context.build();
    }

    @Override
    public synchronized void close() {
        if (channel != null) {
            channel.shutdownNow();
        }
    }
}
