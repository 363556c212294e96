package io.gitward.bench.cluster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * Drives one run: {@code inFlight} lanes (threads), each with one call in flight. Calls that start during the
 * warm-up are not recorded; the measured window follows, and CPU time of every process is read at its start and
 * end.
 *
 * <ul>
 *   <li>Closed loop: every lane calls again as soon as its previous call returns — the maximum throughput with
 *       that many in flight.</li>
 *   <li>Open loop: the lanes together start calls at a constant {@code rate}, each lane on its own schedule
 *       (interval {@code inFlight / rate}, lanes offset evenly). A call that outlasts its interval delays the
 *       lane's next one; that delay is put back into the histogram with HdrHistogram's
 *       {@code recordValueWithExpectedInterval} (coordinated-omission correction), and the schedule resumes
 *       from the late call's end.</li>
 * </ul>
 */
final class LoadEngine {
    private static final long HIGHEST = TimeUnit.MINUTES.toNanos(5);
    private static final long LATE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ProcessCpu cpu;
    private final Map<String, Long> processes;

    LoadEngine(ProcessCpu cpu, Map<String, Long> processes) {
        this.cpu = cpu;
        this.processes = processes;
    }

    /** What a run measured before it is labelled. */
    record Measured(long calls, long errors, List<String> errorSamples, double seconds, Histogram histogram,
            long lateStarts, Map<String, Double> cpuSeconds) {
        /** Two windows of the same variant as one: counts, time, histograms and CPU added (-1 stays unknown). */
        Measured plus(Measured other) {
            Histogram both = histogram.copy();
            both.add(other.histogram);
            Set<String> samples = new LinkedHashSet<>(errorSamples);
            samples.addAll(other.errorSamples);
            Map<String, Double> cpu = new LinkedHashMap<>(cpuSeconds);
            other.cpuSeconds.forEach((process, used) -> cpu.merge(process, used, (a, b) -> a < 0 || b < 0 ? -1 : a + b));
            return new Measured(calls + other.calls, errors + other.errors,
                    List.copyOf(samples).subList(0, Math.min(5, samples.size())), seconds + other.seconds, both,
                    lateStarts + other.lateStarts, cpu);
        }
    }

    Measured run(Operations.Call call, int inFlight, double rate, long warmupMillis, long measureMillis)
            throws InterruptedException {
        boolean open = rate > 0;
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        long measureStart = start + TimeUnit.MILLISECONDS.toNanos(warmupMillis);
        long measureEnd = measureStart + TimeUnit.MILLISECONDS.toNanos(measureMillis);
        long interval = open ? (long) (1e9 * inFlight / rate) : 0;
        List<Lane> lanes = new ArrayList<>();
        for (int i = 0; i < inFlight; i++) {
            Lane lane = new Lane(i, call, open, start + (open ? interval * i / inFlight : 0), interval, measureStart,
                    measureEnd);
            lanes.add(lane);
            lane.thread.start();
        }
        sleepUntil(measureStart);
        Map<String, Double> before = cpu.sample(processes);
        sleepUntil(measureEnd);
        Map<String, Double> after = cpu.sample(processes);
        double seconds = (measureEnd - measureStart) / 1e9;
        Histogram histogram = new Histogram(HIGHEST, 3);
        long calls = 0;
        long errors = 0;
        long late = 0;
        Set<String> samples = new LinkedHashSet<>();
        for (Lane lane : lanes) {
            lane.thread.join(TimeUnit.MINUTES.toMillis(3));
            if (lane.thread.isAlive()) {
                lane.thread.interrupt();
                samples.add("lane " + lane.index + " still in a call 3 minutes after the window");
                errors++;
            }
            histogram.add(lane.histogram);
            calls += lane.calls.get();
            errors += lane.errors.get();
            late += lane.late;
            if (samples.size() < 5) {
                samples.addAll(lane.samples);
            }
        }
        Map<String, Double> used = new LinkedHashMap<>();
        for (Map.Entry<String, Double> entry : after.entrySet()) {
            Double was = before.get(entry.getKey());
            used.put(entry.getKey(), was == null || was < 0 || entry.getValue() < 0 ? -1 : entry.getValue() - was);
        }
        return new Measured(calls, errors, List.copyOf(samples).subList(0, Math.min(5, samples.size())), seconds,
                histogram, late, used);
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long remaining;
        while ((remaining = nanoTime - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(50)));
        }
    }

    /** One call in flight, on its own thread. */
    private static final class Lane implements Runnable {
        final int index;
        final Thread thread;
        final Histogram histogram = new Histogram(HIGHEST, 3);
        final AtomicLong calls = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final Set<String> samples = new LinkedHashSet<>();
        long late;
        private final Operations.Call call;
        private final boolean open;
        private final long first;
        private final long interval;
        private final long measureStart;
        private final long measureEnd;

        Lane(int index, Operations.Call call, boolean open, long first, long interval, long measureStart, long measureEnd) {
            this.index = index;
            this.call = call;
            this.open = open;
            this.first = first;
            this.interval = interval;
            this.measureStart = measureStart;
            this.measureEnd = measureEnd;
            this.thread = new Thread(this, "load-lane-" + index);
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            long intended = first;
            while (true) {
                long now = System.nanoTime();
                if (open) {
                    while (now < intended) {
                        LockSupport.parkNanos(intended - now);
                        now = System.nanoTime();
                    }
                } else {
                    intended = now;
                }
                if (intended >= measureEnd || Thread.currentThread().isInterrupted()) {
                    return;
                }
                boolean measured = intended >= measureStart;
                long began = System.nanoTime();
                boolean failed = false;
                try {
                    call.run(index);
                } catch (Exception | Error e) {
                    failed = true;
                    if (measured) {
                        errors.incrementAndGet();
                        if (samples.size() < 5) {
                            String message = e.getClass().getSimpleName() + ": " + e.getMessage();
                            samples.add(message.length() > 240 ? message.substring(0, 240) : message);
                        }
                    }
                }
                long ended = System.nanoTime();
                long latency = Math.min(ended - began, HIGHEST);
                if (measured && !failed) {
                    calls.incrementAndGet();
                    if (open) {
                        histogram.recordValueWithExpectedInterval(latency, interval);
                        if (began - intended > LATE_NANOS) {
                            late++;
                        }
                    } else {
                        histogram.recordValue(latency);
                    }
                }
                if (open) {
                    intended = Math.max(intended + interval, ended);
                }
            }
        }
    }
}
