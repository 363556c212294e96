package io.gitward.tests.consistency;

import io.gitward.tests.cluster.ClusterNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Faults at seeded moments, one at a time: each is injected at its planned moment (or when the previous one has
 * healed, if later), and healed after its planned duration (a killed node is started again, a paused one resumed).
 * The whole plan derives from one {@link Random} seed, so a failing run can be replayed.
 */
final class FaultSchedule {
    private static final Duration RESTART = Duration.ofSeconds(90);

    enum Kind { KILL_STORAGE, PAUSE_STORAGE, KILL_COORDINATOR, KILL_PROXY }

    /** One planned fault: at {@code atMillis} after the load started, on {@code node}, for {@code millis}. */
    record Fault(long atMillis, Kind kind, String node, long millis) {
        @Override
        public String toString() {
            return "+" + atMillis + "ms " + kind + " " + node + " for " + millis + "ms";
        }
    }

    /** What happened: the fault, when it was injected and healed (ms after the load started). */
    record Injected(Fault fault, long injectedAt, long healedAt) {
    }

    private final List<Fault> plan;
    private final List<Injected> injected = Collections.synchronizedList(new ArrayList<>());
    private volatile Exception failure;

    private FaultSchedule(List<Fault> plan) {
        this.plan = List.copyOf(plan);
    }

    /** A fault every 3-6 s from 4 s until {@code loadMillis} - 10 s, kinds and targets drawn from {@code random}. */
    static FaultSchedule plan(Random random, long loadMillis, List<String> storages, String coordinator, String proxy) {
        List<Fault> plan = new ArrayList<>();
        for (long at = 4000; at < loadMillis - 10_000; at += 3000 + random.nextInt(3000)) {
            int draw = random.nextInt(10);
            String storage = storages.get(random.nextInt(storages.size()));
            if (draw < 3) {
                plan.add(new Fault(at, Kind.KILL_STORAGE, storage, random.nextInt(2000)));
            } else if (draw < 6) {
                plan.add(new Fault(at, Kind.PAUSE_STORAGE, storage, 500 + random.nextInt(4500)));
            } else if (draw < 8) {
                plan.add(new Fault(at, Kind.KILL_COORDINATOR, coordinator, random.nextInt(1000)));
            } else {
                plan.add(new Fault(at, Kind.KILL_PROXY, proxy, random.nextInt(1000)));
            }
        }
        return new FaultSchedule(plan);
    }

    List<Fault> plan() {
        return plan;
    }

    /** Why the schedule stopped early (a node that did not come back), or null. */
    Exception failure() {
        return failure;
    }

    List<Injected> injected() {
        synchronized (injected) {
            return List.copyOf(injected);
        }
    }

    /**
     * Runs the plan against the nodes on a thread of its own, starting now; {@code afterProxyRestart} runs after
     * the proxy came back (clients reset their reconnect backoff). The returned thread ends when every fault healed.
     */
    Thread start(java.util.function.Function<String, ClusterNode> nodes, Runnable afterProxyRestart) {
        long origin = System.nanoTime();
        Thread thread = new Thread(() -> {
            ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
            try {
                for (Fault fault : plan) {
                    long now = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - origin);
                    timer.schedule(() -> null, Math.max(0, fault.atMillis() - now), TimeUnit.MILLISECONDS).get();
                    long injectedAt = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - origin);
                    ClusterNode node = nodes.apply(fault.node());
                    System.out.println("[faults] +" + injectedAt + "ms inject " + fault);
                    if (fault.kind() == Kind.PAUSE_STORAGE) {
                        node.pause();
                    } else {
                        node.kill();
                    }
                    timer.schedule(() -> null, fault.millis(), TimeUnit.MILLISECONDS).get();
                    if (fault.kind() == Kind.PAUSE_STORAGE) {
                        node.resume();
                    } else {
                        node.start(RESTART);
                    }
                    if (fault.kind() == Kind.KILL_PROXY) {
                        afterProxyRestart.run();
                    }
                    long healedAt = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - origin);
                    System.out.println("[faults] +" + healedAt + "ms healed " + fault.kind() + " " + fault.node());
                    injected.add(new Injected(fault, injectedAt, healedAt));
                }
            } catch (Exception e) {
                failure = e;
            } finally {
                timer.shutdownNow();
            }
        }, "fault-schedule");
        thread.start();
        return thread;
    }
}
