package io.gitward.storage.tx;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.gitward.proto.TransactionContext;
import io.gitward.proto.TransactionServiceGrpc;
import io.gitward.proto.VoteOutcome;
import io.gitward.proto.VotePhase;
import io.gitward.proto.VoteRequest;
import io.gitward.proto.VoteResponse;
import io.gitward.security.identity.InvalidIdentityException;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.runtime.PeerEndpoint;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.security.server.ListenAddress;
import io.gitward.storage.StorageException;
import io.gitward.storage.refs.UpdateVoter;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Votes on behalf of this storage node: dials the coordinator named in the transaction context with the
 * node's own certificate, after the coordinator proved the identity the context pins (nothing is sent
 * otherwise). Channels are kept per coordinator.
 */
public final class CoordinatorClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CoordinatorClient.class);

    private final SecurityRuntime security;
    private final Duration voteTimeout;
    private final Map<PeerEndpoint, ManagedChannel> channels = new ConcurrentHashMap<>();

    public CoordinatorClient(SecurityRuntime security, Duration voteTimeout) {
        this.security = requireNonNull(security, "security");
        this.voteTimeout = requireNonNull(voteTimeout, "voteTimeout");
    }

    /** The voter of one transactional update. */
    public UpdateVoter voterFor(TransactionContext context) throws StorageException {
        PeerEndpoint coordinator = endpoint(context);
        return new UpdateVoter() {
            @Override
            public void prepared(byte[] hash) throws StorageException {
                VoteResponse response = vote(coordinator, context, VotePhase.PREPARED, hash);
                if (response.getOutcome() != VoteOutcome.COMMIT) {
                    throw new StorageException(StorageException.Kind.ABORTED, "transaction " + context.getTransactionId()
                            + ": " + response.getOutcome() + " (" + response.getReason() + "); nothing was changed");
                }
            }

            @Override
            public void committed(byte[] hash) {
                // Sent, not awaited: the caller gets its answer (and the repository's lock is free) one round trip
                // sooner. Whoever ends the transaction waits for this vote at the coordinator; a vote that never
                // arrives leaves this replica unconfirmed there, and it is repaired.
                try {
                    TransactionServiceGrpc.TransactionServiceStub stub = TransactionServiceGrpc.newStub(channel(coordinator))
                            .withDeadlineAfter(voteTimeout.toMillis(), TimeUnit.MILLISECONDS);
                    // Outside the incoming call's context, which is cancelled as soon as that call is answered.
                    Context.current().fork().run(() -> stub.vote(request(context, VotePhase.COMMITTED, hash),
                            new CommittedVoteResult(context)));
                } catch (StorageException e) {
                    LOG.warn("transaction {}: the update is applied but the COMMITTED vote could not be sent: {}",
                            context.getTransactionId(), e.getMessage());
                }
            }
        };
    }

    private VoteResponse vote(PeerEndpoint coordinator, TransactionContext context, VotePhase phase, byte[] hash)
            throws StorageException {
        try {
            return TransactionServiceGrpc.newBlockingStub(channel(coordinator))
                    .withDeadlineAfter(voteTimeout.toMillis(), TimeUnit.MILLISECONDS)
                    .vote(request(context, phase, hash));
        } catch (StatusRuntimeException e) {
            StorageException.Kind kind = switch (e.getStatus().getCode()) {
                case FAILED_PRECONDITION, NOT_FOUND -> StorageException.Kind.ABORTED;
                case PERMISSION_DENIED, UNAUTHENTICATED -> StorageException.Kind.PERMISSION_DENIED;
                default -> StorageException.Kind.UNAVAILABLE;
            };
            throw new StorageException(kind, "coordinator " + coordinator.identity() + " refused or could not take the "
                    + phase + " vote: " + e.getStatus().getCode() + " " + e.getStatus().getDescription()
                    + "; nothing was changed", e);
        }
    }

    private static VoteRequest request(TransactionContext context, VotePhase phase, byte[] hash) {
        return VoteRequest.newBuilder().setTransactionId(context.getTransactionId()).setVoter(context.getVoter())
                .setPhase(phase).setHash(ByteString.copyFrom(hash)).build();
    }

    /** Logs a COMMITTED vote the coordinator did not take; the update stays applied. */
    private record CommittedVoteResult(TransactionContext context) implements StreamObserver<VoteResponse> {
        @Override
        public void onNext(VoteResponse response) {
        }

        @Override
        public void onError(Throwable error) {
            Status status = Status.fromThrowable(error);
            LOG.warn("transaction {}: the update is applied but coordinator {} did not take the COMMITTED vote: {} {}",
                    context.getTransactionId(), context.getCoordinatorIdentity(), status.getCode(),
                    status.getDescription());
        }

        @Override
        public void onCompleted() {
        }
    }

    private ManagedChannel channel(PeerEndpoint coordinator) throws StorageException {
        ManagedChannel existing = channels.get(coordinator);
        if (existing != null) {
            return existing;
        }
        try {
            ManagedChannel created = security.outbound().dial(coordinator);
            ManagedChannel raced = channels.putIfAbsent(coordinator, created);
            if (raced != null) {
                created.shutdownNow();
                return raced;
            }
            return created;
        } catch (SSLException e) {
            throw new StorageException(StorageException.Kind.UNAVAILABLE, "cannot set up TLS to the coordinator: "
                    + e.getMessage(), e);
        }
    }

    private static PeerEndpoint endpoint(TransactionContext context) throws StorageException {
        try {
            NodeIdentity identity = NodeIdentity.parseSpiffeId(context.getCoordinatorIdentity());
            ListenAddress tls = context.getCoordinatorTlsAddress().isEmpty() ? null
                    : ListenAddress.parse(context.getCoordinatorTlsAddress());
            ListenAddress plaintext = context.getCoordinatorPlaintextAddress().isEmpty() ? null
                    : ListenAddress.parse(context.getCoordinatorPlaintextAddress());
            if (context.getTransactionId().isEmpty() || context.getVoter().isEmpty()) {
                throw StorageException.invalid("gitward-transaction-bin: transaction_id and voter are required");
            }
            return new PeerEndpoint(identity, tls, plaintext);
        } catch (InvalidIdentityException | IllegalArgumentException e) {
            throw StorageException.invalid("gitward-transaction-bin: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
    }
}
