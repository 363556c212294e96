package io.gitward.tests.local;

import io.grpc.Status;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Watches a node being cut off, with wall-clock times comparable to file modification times: every 20 ms which
 * of its connections with peers (as they were when the watch started) are gone, and every 100 ms whether its
 * votes are refused yet.
 */
final class CutOffWatch implements AutoCloseable {
    private final Map<TcpConnections.End, String> connections;
    private final Map<TcpConnections.End, Long> closedAt = new ConcurrentHashMap<>();
    private final AtomicLong refusedAt = new AtomicLong();
    private final AtomicReference<Status.Code> lastVote = new AtomicReference<>();
    private final List<String> errors = Collections.synchronizedList(new ArrayList<>());
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);

    /** Starts watching {@code connections} (by end, with the peer's name) of process {@code pid}, and its votes. */
    CutOffWatch(long pid, Map<TcpConnections.End, String> connections, VoteProbe votes) {
        this.connections = Map.copyOf(connections);
        timer.scheduleWithFixedDelay(() -> {
            try {
                Set<TcpConnections.End> open = TcpConnections.established(pid);
                long at = System.currentTimeMillis();
                this.connections.keySet().stream().filter(end -> !open.contains(end))
                        .forEach(end -> closedAt.putIfAbsent(end, at));
            } catch (Exception e) {
                errors.add("connection watch: " + e);
            }
        }, 0, 20, TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(() -> {
            if (refusedAt.get() == 0) {
                Status.Code code = votes.vote();
                lastVote.set(code);
                if (VoteProbe.refused(code)) {
                    refusedAt.compareAndSet(0, System.currentTimeMillis());
                }
            }
        }, 0, 100, TimeUnit.MILLISECONDS);
    }

    /** Votes are refused and every watched connection is closed. */
    boolean cutOff() {
        return refusedAt.get() != 0 && closedAt.keySet().containsAll(connections.keySet());
    }

    /** When the first refused vote came back (epoch ms), or 0. */
    long refusedAt() {
        return refusedAt.get();
    }

    /** When each watched connection was first seen closed (epoch ms). */
    Map<TcpConnections.End, Long> closedAt() {
        return Map.copyOf(closedAt);
    }

    @Override
    public String toString() {
        return "connections " + connections + ", closed at " + closedAt + "; last vote " + lastVote.get() + ", refused at "
                + refusedAt.get() + (errors.isEmpty() ? "" : "; watch errors " + errors);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
