package io.gitward.tests.limits;

import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * An authenticated client's closed loop: one call, then the next, for a given time or number of calls, each
 * call's latency recorded in microseconds. A failed call is counted and its status kept (the first few).
 */
final class LatencyLoop {
    private final String name;
    private final Runnable call;

    /** @param call one cheap RPC with its own deadline; throws {@link StatusRuntimeException} when it fails */
    LatencyLoop(String name, Runnable call) {
        this.name = name;
        this.call = call;
    }

    /** One measured period. */
    static final class Period {
        final String loop;
        final Histogram micros = new Histogram(60_000_000L, 3);
        int failed;
        final List<String> failures = new ArrayList<>();

        Period(String loop) {
            this.loop = loop;
        }

        long calls() {
            return micros.getTotalCount() + failed;
        }

        double p50Millis() {
            return micros.getValueAtPercentile(50) / 1000.0;
        }

        double p99Millis() {
            return micros.getValueAtPercentile(99) / 1000.0;
        }

        double maxMillis() {
            return micros.getMaxValue() / 1000.0;
        }

        String describe() {
            return String.format(java.util.Locale.ROOT, "%s: calls=%d failed=%d p50=%.2fms p99=%.2fms max=%.2fms%s", loop,
                    calls(), failed, p50Millis(), p99Millis(), maxMillis(), failures.isEmpty() ? "" : " " + failures);
        }
    }

    /** Calls until {@code until} (System.nanoTime) or {@code maxCalls}, whichever first. */
    Period run(long until, int maxCalls) {
        Period period = new Period(name);
        while (System.nanoTime() < until && period.calls() < maxCalls) {
            long start = System.nanoTime();
            try {
                call.run();
                period.micros.recordValue(Math.max(1, (System.nanoTime() - start) / 1000));
            } catch (StatusRuntimeException e) {
                period.failed++;
                if (period.failures.size() < 5) {
                    period.failures.add(e.getStatus().toString());
                }
            }
        }
        return period;
    }
}
