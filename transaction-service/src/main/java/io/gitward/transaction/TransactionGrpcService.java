package io.gitward.transaction;

import static java.util.Objects.requireNonNull;

import io.gitward.proto.CancelTransactionRequest;
import io.gitward.proto.CancelTransactionResponse;
import io.gitward.proto.GetTransactionRequest;
import io.gitward.proto.RegisterTransactionRequest;
import io.gitward.proto.RegisterTransactionResponse;
import io.gitward.proto.StopTransactionRequest;
import io.gitward.proto.StopTransactionResponse;
import io.gitward.proto.TransactionServiceGrpc;
import io.gitward.proto.TransactionState;
import io.gitward.proto.VoteOutcome;
import io.gitward.proto.VotePhase;
import io.gitward.proto.VoteRequest;
import io.gitward.proto.VoteResponse;
import io.gitward.proto.VoterState;
import io.gitward.proto.VotingStrategy;
import io.gitward.proto.WatchTransactionRequest;
import io.gitward.security.audit.RateLimitedLog;
import io.gitward.security.authz.Caller;
import io.gitward.security.authz.SecurityContext;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.phase.AuthorizationMode;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code gitward.TransactionService}: converts messages, binds votes and ownership to the caller's verified
 * identity (following the authorization mode: enforce refuses, audit counts and logs, off allows the legacy
 * token path), and maps domain refusals to statuses in one place.
 */
public final class TransactionGrpcService extends TransactionServiceGrpc.TransactionServiceImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(TransactionGrpcService.class);
    static final String ANONYMOUS = "anonymous";

    private final TransactionManager manager;
    private final TrustDomain trustDomain;
    private final Supplier<AuthorizationMode> mode;
    private final RateLimitedLog auditLog = new RateLimitedLog(Duration.ofMinutes(1), 10_000, Clock.systemUTC());

    public TransactionGrpcService(TransactionManager manager, TrustDomain trustDomain, Supplier<AuthorizationMode> mode) {
        this.manager = requireNonNull(manager, "manager");
        this.trustDomain = requireNonNull(trustDomain, "trustDomain");
        this.mode = requireNonNull(mode, "mode");
    }

    @Override
    public void register(RegisterTransactionRequest request, StreamObserver<RegisterTransactionResponse> responses) {
        try {
            Map<String, Integer> voters = new LinkedHashMap<>();
            for (io.gitward.proto.Voter voter : request.getVotersList()) {
                if (voters.put(voter.getName(), voter.getWeight()) != null) {
                    throw new TransactionException(TransactionException.Kind.INVALID_ARGUMENT, "voters: '" + voter.getName()
                            + "' appears twice");
                }
            }
            Registration registration = new Registration(voters, request.getPrimary(), strategy(request.getStrategy()),
                    Duration.ofMillis(request.getTimeoutMillis()), request.getRepository());
            Transaction transaction = manager.register(registration, principal());
            responses.onNext(RegisterTransactionResponse.newBuilder().setTransactionId(transaction.id()).build());
            responses.onCompleted();
        } catch (TransactionException e) {
            responses.onError(status(e));
        }
    }

    @Override
    public void vote(VoteRequest request, StreamObserver<VoteResponse> responses) {
        try {
            requireVoterIdentity(request.getVoter());
            VoteHash hash = hash(request.getHash());
            if (request.getPhase() == VotePhase.COMMITTED) {
                manager.committed(request.getTransactionId(), request.getVoter(), hash);
                responses.onNext(VoteResponse.newBuilder().setOutcome(VoteOutcome.COMMIT).setReason("committed").build());
                responses.onCompleted();
                return;
            }
            if (request.getPhase() != VotePhase.PREPARED) {
                throw invalid("phase: " + request.getPhase() + " (expected PREPARED or COMMITTED)");
            }
            manager.prepare(request.getTransactionId(), request.getVoter(), hash).whenComplete((outcome, error) -> {
                if (error != null) {
                    responses.onError(Status.INTERNAL.withDescription("vote failed").asRuntimeException());
                    return;
                }
                responses.onNext(VoteResponse.newBuilder().setOutcome(toProto(outcome.outcome()))
                        .setReason(outcome.reason()).build());
                responses.onCompleted();
            });
        } catch (TransactionException e) {
            responses.onError(status(e));
        }
    }

    @Override
    public void watch(WatchTransactionRequest request, StreamObserver<io.gitward.proto.TransactionEvent> responses) {
        try {
            Transaction transaction = ownedBy(request.getTransactionId(), "watch");
            ServerCallStreamObserver<io.gitward.proto.TransactionEvent> observer =
                    (ServerCallStreamObserver<io.gitward.proto.TransactionEvent>) responses;
            TransactionEventListener listener = new TransactionEventListener() {
                @Override
                public void onEvent(TransactionEvent event) {
                    synchronized (observer) {
                        if (!observer.isCancelled()) {
                            observer.onNext(io.gitward.proto.TransactionEvent.newBuilder()
                                    .setTransactionId(event.transactionId()).setVoter(event.voter())
                                    .setOutcome(toProto(event.outcome().outcome())).setReason(event.outcome().reason())
                                    .setKind(event.committed() ? io.gitward.proto.TransactionEvent.Kind.COMMITTED
                                            : io.gitward.proto.TransactionEvent.Kind.OUTCOME)
                                    .build());
                        }
                    }
                }

                @Override
                public void onFinished(String state) {
                    synchronized (observer) {
                        if (!observer.isCancelled()) {
                            observer.onCompleted();
                        }
                    }
                }
            };
            observer.setOnCancelHandler(() -> transaction.unwatch(listener));
            transaction.watch(listener);
        } catch (TransactionException e) {
            responses.onError(status(e));
        }
    }

    @Override
    public void stop(StopTransactionRequest request, StreamObserver<StopTransactionResponse> responses) {
        try {
            ownedBy(request.getTransactionId(), "stop");
        } catch (TransactionException e) {
            responses.onError(status(e));
            return;
        }
        Duration wait = Duration.ofMillis(Integer.toUnsignedLong(request.getAwaitCommittedMillis())); // capped there
        manager.stopOnceCommitted(request.getTransactionId(), Set.copyOf(request.getAwaitCommittedList()), wait)
                .whenComplete((committed, error) -> {
                    if (error == null) {
                        responses.onNext(StopTransactionResponse.newBuilder().addAllCommittedVoters(committed).build());
                        responses.onCompleted();
                    } else if (error.getCause() instanceof TransactionException e) {
                        responses.onError(status(e));
                    } else if (error instanceof TransactionException e) {
                        responses.onError(status(e));
                    } else {
                        LOG.error("stopping transaction {} failed", request.getTransactionId(), error);
                        responses.onError(Status.INTERNAL.withDescription("stopping the transaction failed (see the"
                                + " coordinator's log)").asRuntimeException());
                    }
                });
    }

    @Override
    public void cancel(CancelTransactionRequest request, StreamObserver<CancelTransactionResponse> responses) {
        try {
            ownedBy(request.getTransactionId(), "cancel");
            manager.cancel(request.getTransactionId(), request.getReason().isEmpty() ? "cancelled by its owner"
                    : request.getReason());
            responses.onNext(CancelTransactionResponse.getDefaultInstance());
            responses.onCompleted();
        } catch (TransactionException e) {
            responses.onError(status(e));
        }
    }

    @Override
    public void getTransaction(GetTransactionRequest request, StreamObserver<TransactionState> responses) {
        try {
            responses.onNext(toProto(ownedBy(request.getTransactionId(), "inspect").snapshot()));
            responses.onCompleted();
        } catch (TransactionException e) {
            responses.onError(status(e));
        }
    }

    @Override
    public void inspectTransaction(GetTransactionRequest request, StreamObserver<TransactionState> responses) {
        try {
            responses.onNext(toProto(manager.find(request.getTransactionId()).snapshot()));
            responses.onCompleted();
        } catch (TransactionException e) {
            responses.onError(status(e));
        }
    }

    /** A vote for voter X only from storage/X of this trust domain. */
    private void requireVoterIdentity(String voter) throws TransactionException {
        NodeIdentity expected = voter.matches("[a-z0-9-]{1,63}") ? new NodeIdentity(trustDomain, Role.STORAGE, voter) : null;
        NodeIdentity caller = identity();
        if (expected != null && expected.equals(caller)) {
            return;
        }
        bindingViolation("vote-as-other", "a vote for voter '" + voter + "' must come from "
                + (expected == null ? "that storage node" : expected.spiffeId()) + "; the caller is " + principal());
    }

    /** The transaction, when the caller is the proxy that registered it. */
    private Transaction ownedBy(String id, String action) throws TransactionException {
        Transaction transaction = manager.find(id);
        if (!transaction.owner().equals(principal())) {
            bindingViolation("not-owner", "only " + transaction.owner() + ", which registered transaction " + id
                    + ", may " + action + " it; the caller is " + principal());
        }
        return transaction;
    }

    private void bindingViolation(String what, String message) throws TransactionException {
        AuthorizationMode current = mode.get();
        if (current == AuthorizationMode.OFF) {
            return;
        }
        manager.metrics().bindingDenied(what);
        if (current == AuthorizationMode.ENFORCE) {
            throw new TransactionException(TransactionException.Kind.PERMISSION_DENIED, message);
        }
        if (auditLog.shouldLog(what + "|" + principal())) {
            LOG.warn("audit: would deny: {}", message);
        }
    }

    private static NodeIdentity identity() {
        Caller caller = SecurityContext.caller();
        return caller == null ? null : caller.effectiveIdentity();
    }

    private static String principal() {
        NodeIdentity identity = identity();
        return identity == null ? ANONYMOUS : identity.spiffeId();
    }

    private static VoteHash hash(com.google.protobuf.ByteString bytes) throws TransactionException {
        try {
            return VoteHash.of(bytes.toByteArray());
        } catch (IllegalArgumentException e) {
            throw invalid("hash: " + e.getMessage());
        }
    }

    private static Strategy strategy(VotingStrategy strategy) throws TransactionException {
        return switch (strategy) {
            case PRIMARY_WINS -> Strategy.PRIMARY_WINS;
            case MAJORITY -> Strategy.MAJORITY;
            case UNANIMOUS -> Strategy.UNANIMOUS;
            default -> throw invalid("strategy: " + strategy + " (expected PRIMARY_WINS, MAJORITY or UNANIMOUS)");
        };
    }

    private static TransactionException invalid(String message) {
        return new TransactionException(TransactionException.Kind.INVALID_ARGUMENT, message);
    }

    static VoteOutcome toProto(Outcome outcome) {
        return switch (outcome) {
            case COMMIT -> VoteOutcome.COMMIT;
            case ABORT -> VoteOutcome.ABORT;
            case STOP -> VoteOutcome.STOP;
        };
    }

    private static TransactionState toProto(Transaction.Snapshot snapshot) {
        TransactionState.Builder state = TransactionState.newBuilder().setTransactionId(snapshot.id())
                .setState(snapshot.state()).setPrimary(snapshot.registration().primary())
                .setStrategy(VotingStrategy.valueOf(snapshot.registration().strategy().name())).setOwner(snapshot.owner())
                .setRepository(snapshot.registration().repository() == null ? "" : snapshot.registration().repository())
                .setCreatedAt(snapshot.createdAt().toString());
        for (Transaction.Snapshot.VoterSnapshot voter : snapshot.voters()) {
            VoterState.Builder builder = VoterState.newBuilder().setName(voter.name()).setWeight(voter.weight())
                    .setVoted(!voter.hash().isEmpty()).setHash(voter.hash()).setCommitted(voter.committed());
            if (voter.outcome() != null) {
                builder.setOutcome(toProto(voter.outcome().outcome())).setReason(voter.outcome().reason());
            }
            state.addVoters(builder);
        }
        return state.build();
    }

    /** The one mapping from domain refusals to statuses. */
    static io.grpc.StatusRuntimeException status(TransactionException e) {
        Status status = switch (e.kind()) {
            case NOT_FOUND -> Status.NOT_FOUND;
            case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
            case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
            case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
            case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
        };
        return status.withDescription(e.getMessage()).asRuntimeException();
    }
}
