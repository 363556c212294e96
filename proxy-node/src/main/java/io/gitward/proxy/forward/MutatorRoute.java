package io.gitward.proxy.forward;

import io.gitward.proto.Repository;
import io.gitward.proto.TransactionContext;
import io.gitward.proxy.replication.ReplicaCalls;
import io.gitward.proxy.route.RepositoryLifecycle;
import io.gitward.proxy.route.Router;
import io.gitward.proxy.route.WriteOutcome;
import io.gitward.proxy.store.RepositoryState;
import io.gitward.proxy.store.RepositoryWrite;
import io.gitward.proxy.store.StoreException;
import io.gitward.proxy.tx.Coordinator;
import io.gitward.security.authz.SecurityContext;
import io.gitward.transaction.Registration;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A write: under the repository's write lock (shared by every proxy of the virtual storage) and a durable
 * write intent, a transaction is registered and the call goes to the primary and every other healthy,
 * up-to-date replica with a {@code gitward-transaction-bin} header (no secret). The primary's answer goes to
 * the client — but only after the new generations are recorded: replicas that applied the update move up,
 * the others are queued for repair. A crash before that record leaves the intent for reconciliation.
 */
final class MutatorRoute implements ProxiedCall.Route {
    private static final Logger LOG = LoggerFactory.getLogger(MutatorRoute.class);
    private static final Duration CLEANUP_TIMEOUT = Duration.ofSeconds(10);
    static final Metadata.Key<TransactionContext> TRANSACTION = Metadata.Key.of(SecurityContext.TRANSACTION_HEADER,
            ProtoUtils.metadataMarshaller(TransactionContext.getDefaultInstance()));

    private final RouteContext context;
    private final RepositoryLifecycle lifecycle;
    private RepositoryWrite write;
    private Router.WritePlan plan;
    private Set<String> rebuild = Set.of();
    private String transactionId;
    private String path;
    private boolean opened;
    private boolean completing;
    private ScheduledFuture<?> grace;

    MutatorRoute(RouteContext context, String fullMethodName) {
        this.context = context;
        this.lifecycle = RepositoryLifecycle.of(fullMethodName);
    }

    @Override
    public void start(ProxiedCall call, Repository repository) throws ProxiedCall.RouteException {
        Routes.checkTarget(repository, context);
        path = repository.getRelativePath();
        try {
            if (lifecycle == RepositoryLifecycle.CREATES) {
                planCreation(repository);
            } else {
                // Locking the repository's row reads its state and finds out whether it exists: no read before it.
                write = beginWrite(repository);
                plan = lifecycle == RepositoryLifecycle.REMOVES ? removalPlan(write.state())
                        : Router.writePlan(write.state(), context.health()::healthy);
            }
        } catch (StoreException e) {
            abandon();
            throw Routes.refusal(e);
        } catch (Router.NoReplicaException e) {
            abandon();
            throw Routes.refusal(e);
        }
        context.inFlight().begin(path);
        try {
            Map<String, Integer> voters = new LinkedHashMap<>();
            plan.participants().forEach(participant -> voters.put(participant, 1));
            transactionId = context.coordinator().register(new Registration(voters, plan.primary(), context.strategy(),
                    context.transactionTimeout(), path));
            for (String participant : plan.participants()) {
                Metadata headers = new Metadata();
                headers.put(TRANSACTION, context.coordinator().context(transactionId, participant));
                call.open(participant, context.nodes().channel(participant), participant.equals(plan.primary()), headers);
            }
        } catch (Coordinator.CoordinatorException | SSLException e) {
            for (Upstream upstream : call.upstreams()) {
                upstream.cancel("the write could not start on every replica");
            }
            context.inFlight().end(path);
            if (call.upstreams().isEmpty()) {
                abandon();
            } else {
                write.close(); // replicas may have seen the call: leave the intent for reconciliation
            }
            throw new ProxiedCall.RouteException(Status.UNAVAILABLE.withDescription(e.getMessage()));
        }
        synchronized (this) {
            opened = true;
        }
        // An upstream may have ended while the others were still being opened: look again now that all exist.
        finish(call);
    }

    private RepositoryWrite beginWrite(Repository repository) throws StoreException, ProxiedCall.RouteException {
        try {
            return context.store().beginWrite(path, context.owner(), context.lockTimeout());
        } catch (StoreException e) {
            if (e.kind() == StoreException.Kind.NOT_FOUND) {
                throw Routes.unknown(repository);
            }
            throw e;
        }
    }

    private void planCreation(Repository repository) throws StoreException, Router.NoReplicaException,
            ProxiedCall.RouteException {
        List<String> healthy = context.nodes().names().stream().filter(context.health()::healthy).toList();
        if (healthy.isEmpty()) {
            throw new Router.NoReplicaException(path + ": no storage node is healthy");
        }
        String primary = Router.creationPrimary(path, healthy);
        OptionalLong creation = context.store().createRepository(path, primary, context.nodes().names(),
                context.owner());
        if (creation.isEmpty()) {
            throw new ProxiedCall.RouteException(Status.ALREADY_EXISTS.withDescription("repository " + path
                    + " already exists in virtual storage " + repository.getStorageName()));
        }
        write = context.store().beginWrite(path, context.owner(), context.lockTimeout());
        write.resolveIntents(List.of(creation.getAsLong()));
        List<String> participants = new ArrayList<>();
        participants.add(primary);
        healthy.stream().filter(name -> !name.equals(primary)).forEach(participants::add);
        Set<String> leftOut = new TreeSet<>(context.nodes().names());
        leftOut.removeAll(participants);
        rebuild = leftOut;
        plan = new Router.WritePlan(primary, List.copyOf(participants), leftOut, false);
    }

    private Router.WritePlan removalPlan(RepositoryState state) throws Router.NoReplicaException {
        List<String> healthy = state.generations().keySet().stream().filter(context.health()::healthy).toList();
        if (healthy.isEmpty()) {
            throw new Router.NoReplicaException(path + ": no replica is healthy");
        }
        String primary = healthy.contains(state.primary()) ? state.primary() : healthy.get(0);
        List<String> participants = new ArrayList<>();
        participants.add(primary);
        healthy.stream().filter(name -> !name.equals(primary)).forEach(participants::add);
        Set<String> leftOut = new TreeSet<>(state.generations().keySet());
        leftOut.removeAll(participants);
        return new Router.WritePlan(primary, List.copyOf(participants), leftOut, false);
    }

    @Override
    public void finish(ProxiedCall call) {
        List<Upstream> upstreams = call.upstreams();
        Upstream primary = upstreams.stream().filter(Upstream::answersClient).findFirst().orElse(null);
        synchronized (this) {
            if (!opened || completing || primary == null || !primary.closed()) {
                return;
            }
            if (upstreams.stream().allMatch(Upstream::closed)) {
                completing = true;
                if (grace != null) {
                    grace.cancel(false);
                }
            } else {
                if (!primary.status().isOk() && grace == null) {
                    // The primary failed: whoever still waits for a decision is told STOP instead of waiting it out.
                    context.routing().execute(() -> context.coordinator().stop(transactionId));
                }
                if (grace == null) {
                    // The primary answered; a secondary that hangs must not hold the client: it is cut off later.
                    grace = context.timer().schedule(() -> upstreams.stream().filter(u -> !u.closed()).forEach(u -> u
                            .cancel("the primary answered " + context.secondaryGrace().toMillis() + " ms ago")),
                            context.secondaryGrace().toMillis(), TimeUnit.MILLISECONDS);
                }
                return;
            }
        }
        context.routing().execute(() -> complete(call, primary));
    }

    private void complete(ProxiedCall call, Upstream primary) {
        Status answer = primary.status();
        Metadata trailers = primary.trailers();
        try {
            answer = record(call, answer);
            if (!answer.equals(primary.status())) {
                trailers = new Metadata();
            }
        } catch (RuntimeException e) {
            LOG.error("write to {} ({}): recording the outcome failed; leaving it to reconciliation", path, transactionId, e);
            write.close();
            answer = Status.INTERNAL.withDescription("the write to " + path + " may or may not have been applied: the"
                    + " proxy failed recording it (see its log); the cluster reconciles it");
            trailers = new Metadata();
        } finally {
            context.inFlight().end(path);
        }
        call.close(answer, trailers);
    }

    /** Records the write's outcome; returns the status the client gets. */
    private Status record(ProxiedCall call, Status answer) {
        try {
            Map<String, Boolean> succeeded = new HashMap<>();
            Set<String> answeredOk = new TreeSet<>();
            for (Upstream upstream : call.upstreams()) {
                succeeded.put(upstream.storage(), upstream.status().isOk());
                if (upstream.status().isOk()) {
                    answeredOk.add(upstream.storage());
                }
            }
            Set<String> committed = context.coordinator().finish(transactionId, answeredOk, context.secondaryGrace());
            if (lifecycle == RepositoryLifecycle.REMOVES && answer.isOk()) {
                write.delete();
            } else if (lifecycle == RepositoryLifecycle.CREATES && !answer.isOk()) {
                removeCopies(call);
                write.delete();
            } else {
                apply(WriteOutcome.compute(write.state(), plan, committed, succeeded, rebuild));
            }
        } catch (Coordinator.CoordinatorException | StoreException e) {
            LOG.warn("write to {} ({}): the outcome could not be recorded, leaving it to reconciliation: {}", path,
                    transactionId, e.getMessage());
            write.close();
            return Status.UNAVAILABLE.withDescription("the write to " + path + " may or may not have been applied: its"
                    + " outcome could not be recorded (" + e.getMessage() + "); the cluster reconciles it");
        }
        return answer;
    }

    /**
     * The creation failed on the primary, so the client was refused: secondaries that did create the repository
     * drop their copy, or a later creation of the same path would find it there.
     */
    private void removeCopies(ProxiedCall call) {
        for (Upstream upstream : call.upstreams()) {
            if (!upstream.answersClient() && upstream.status().isOk()) {
                try {
                    context.replicas().remove(upstream.storage(), path, CLEANUP_TIMEOUT);
                } catch (ReplicaCalls.ReplicaCallException e) {
                    LOG.warn("creation of {} failed on its primary; {} keeps an orphan copy: {}", path, upstream.storage(),
                            e.getMessage());
                }
            }
        }
    }

    private void apply(WriteOutcome.Changes changes) throws StoreException {
        changes.generations().forEach(write::setGeneration);
        if (!changes.primary().equals(write.state().primary())) {
            write.setPrimary(changes.primary());
        }
        write.commit();
        for (String behind : changes.behind()) {
            context.store().enqueueReplication(path, behind, changes.primary());
        }
    }

    /** Ends a write that touched no replica; a creation that never started is forgotten with its record. */
    private void abandon() {
        if (write != null) {
            try {
                if (lifecycle == RepositoryLifecycle.CREATES) {
                    write.delete();
                } else {
                    write.abandon();
                }
            } catch (StoreException e) {
                LOG.warn("cannot close the write intent of {}: {}", path, e.getMessage());
            }
        }
    }
}
