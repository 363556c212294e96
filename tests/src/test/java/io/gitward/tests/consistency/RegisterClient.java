package io.gitward.tests.consistency;

import io.gitward.proto.FindRefRequest;
import io.gitward.proto.FindRefResponse;
import io.gitward.proto.RefServiceGrpc;
import io.gitward.proto.UpdateReferencesRequest;
import io.gitward.tests.proxy.ProxyClients;
import io.gitward.tests.storage.Requests;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * One client of the consistency test: its own channel to the proxy (retries off, no wait-for-ready), one call at a
 * time, each on a reference drawn at random: a read ({@code FindRef}, half of them routed to the primary), a
 * compare-and-swap from the value it last saw to a commit nobody used before ({@code UpdateReferences} with the old
 * value), or now and then a blind write (no old value). Every call becomes an {@link Operation} whose outcome
 * follows from the status code alone.
 */
final class RegisterClient implements Runnable {
    static final Metadata.Key<String> ROUTE = Metadata.Key.of("gitward-route", Metadata.ASCII_STRING_MARSHALLER);
    static final String ZERO = "0".repeat(40);
    private static final long DEADLINE_MILLIS = 5000;

    /** A reference of a repository: the register's key is {@code path:ref}. */
    record Ref(String path, String ref) {
        String key() {
            return path + ":" + ref;
        }
    }

    private final String name;
    private final ManagedChannel channel;
    private final List<Ref> refs;
    private final Map<String, IntFunction<String>> pools;
    private final Map<String, AtomicInteger> nextCommit;
    private final AtomicInteger ids;
    private final Consumer<Recorded> record;
    private final Random random;
    private final AtomicBoolean stop;
    private final Map<Ref, String> belief = new HashMap<>();
    private final Map<Ref, Boolean> known = new HashMap<>();

    /** An operation and the status that produced it (for the summary and the history file). */
    record Recorded(Operation operation, Status.Code code, boolean primaryRoute, String description) {
    }

    RegisterClient(String name, ManagedChannel channel, List<Ref> refs, Map<String, IntFunction<String>> pools,
            Map<String, AtomicInteger> nextCommit, AtomicInteger ids, Consumer<Recorded> record, long seed,
            AtomicBoolean stop) {
        this.name = name;
        this.channel = channel;
        this.refs = refs;
        this.pools = pools;
        this.nextCommit = nextCommit;
        this.ids = ids;
        this.record = record;
        this.random = new Random(seed);
        this.stop = stop;
    }

    @Override
    public void run() {
        while (!stop.get()) {
            Ref ref = refs.get(random.nextInt(refs.size()));
            int draw = random.nextInt(100);
            Status.Code code;
            if (!known.getOrDefault(ref, false) || draw < 45) {
                code = read(ref, random.nextBoolean());
            } else {
                String commit = pools.get(ref.path()).apply(nextCommit.get(ref.path()).getAndIncrement());
                if (commit == null) {
                    code = read(ref, random.nextBoolean()); // the pool is used up: only reads from here
                } else {
                    code = update(ref, draw >= 93, commit);
                }
            }
            if (code == Status.Code.UNAVAILABLE) {
                channel.resetConnectBackoff();
                pause();
            }
        }
    }

    /** Reads after the load, routed to the primary (as the final operation of each register's history). */
    void readAll() {
        refs.forEach(ref -> read(ref, true));
    }

    private Status.Code read(Ref ref, boolean primary) {
        int id = ids.incrementAndGet();
        long invoke = System.nanoTime();
        try {
            FindRefResponse response = findRef(channel, ref, primary);
            long end = System.nanoTime();
            String value = response.getFound() ? response.getReference().getTarget() : null;
            belief.put(ref, value);
            known.put(ref, true);
            record.accept(new Recorded(Operation.read(id, name, ref.key(), invoke, end, value), Status.Code.OK, primary,
                    ""));
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            long end = System.nanoTime();
            Operation.Outcome outcome = writeOutcome(e.getStatus().getCode(), false);
            record.accept(new Recorded(new Operation(id, name, ref.key(), Operation.Kind.READ, null, null, invoke,
                    outcome == Operation.Outcome.UNKNOWN ? Long.MAX_VALUE : end, outcome), e.getStatus().getCode(), primary,
                    String.valueOf(e.getStatus().getDescription())));
            return e.getStatus().getCode();
        }
    }

    /** FindRef through the proxy, routed to the primary when asked ({@code gitward-route: primary}). */
    static FindRefResponse findRef(ManagedChannel channel, Ref ref, boolean primary) {
        RefServiceGrpc.RefServiceBlockingStub stub = RefServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
        if (primary) {
            Metadata headers = new Metadata();
            headers.put(ROUTE, "primary");
            stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        return stub.findRef(FindRefRequest.newBuilder().setRepository(ProxyClients.repository(ref.path()))
                .setName(ref.ref()).build());
    }

    /** A CAS from the value last seen (null: absent), or a blind write (no old value). */
    private Status.Code update(Ref ref, boolean blind, String commit) {
        String expected = belief.get(ref);
        int id = ids.incrementAndGet();
        String old = blind ? "" : expected == null ? ZERO : expected;
        long invoke = System.nanoTime();
        Status.Code code;
        String description = "";
        try {
            RefServiceGrpc.newBlockingStub(channel).withDeadlineAfter(DEADLINE_MILLIS, TimeUnit.MILLISECONDS)
                    .updateReferences(UpdateReferencesRequest.newBuilder().setRepository(ProxyClients.repository(ref.path()))
                            .addUpdates(Requests.refUpdate(ref.ref(), old, commit)).build());
            code = Status.Code.OK;
        } catch (StatusRuntimeException e) {
            code = e.getStatus().getCode();
            description = String.valueOf(e.getStatus().getDescription());
        }
        long end = System.nanoTime();
        Operation.Outcome outcome = writeOutcome(code, !blind);
        Operation operation = blind ? Operation.write(id, name, ref.key(), commit, invoke, end, outcome)
                : Operation.cas(id, name, ref.key(), expected, commit, invoke, end, outcome);
        record.accept(new Recorded(operation, code, false, description));
        if (outcome == Operation.Outcome.OK) {
            belief.put(ref, commit);
        } else {
            known.put(ref, false); // read before the next update of this reference
        }
        return code;
    }

    /**
     * What a status proves about an update. Only answers that the contract defines as "nothing changed" count as
     * failed: FAILED_PRECONDITION (an old value did not match: a mismatch the register must explain), ABORTED (the
     * transaction aborted or the write lock timed out before any replica was called), and refusals before anything
     * runs. Everything that can end a call after the request was sent — DEADLINE_EXCEEDED, UNAVAILABLE, CANCELLED,
     * INTERNAL, UNKNOWN, RESOURCE_EXHAUSTED — may or may not have applied.
     */
    static Operation.Outcome writeOutcome(Status.Code code, boolean cas) {
        return switch (code) {
            case OK -> Operation.Outcome.OK;
            case FAILED_PRECONDITION -> cas ? Operation.Outcome.MISMATCH : Operation.Outcome.FAILED;
            case ABORTED, PERMISSION_DENIED, UNAUTHENTICATED, INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, UNIMPLEMENTED,
                    OUT_OF_RANGE -> Operation.Outcome.FAILED;
            default -> Operation.Outcome.UNKNOWN;
        };
    }

    /** After UNAVAILABLE (the proxy is restarting, or no replica can serve): do not spin. */
    private void pause() {
        try {
            Thread.sleep(50 + random.nextInt(100));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop.set(true);
        }
    }
}
