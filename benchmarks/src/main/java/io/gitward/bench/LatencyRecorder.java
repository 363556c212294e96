package io.gitward.bench;

import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/** Times one operation repeatedly: warm-up first (discarded), then a measured phase bounded in count and time. */
public final class LatencyRecorder {
    /** One measured operation. */
    @FunctionalInterface
    public interface Operation {
        void run() throws Exception;
    }

    /** Latency percentiles (microseconds) and the single-thread rate of one measured run. */
    public record Result(long count, double seconds, double perSecond, double p50Micros, double p99Micros,
            double maxMicros) {
    }

    private LatencyRecorder() {
    }

    public static Result measure(Operation operation, long warmupMillis, long measureMillis, long maxCount)
            throws Exception {
        long warmupEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(warmupMillis);
        while (System.nanoTime() < warmupEnd) {
            operation.run();
        }
        Histogram histogram = new Histogram(TimeUnit.MINUTES.toNanos(1), 3);
        long start = System.nanoTime();
        long end = start + TimeUnit.MILLISECONDS.toNanos(measureMillis);
        long count = 0;
        while (count < maxCount && System.nanoTime() < end) {
            long before = System.nanoTime();
            operation.run();
            histogram.recordValue(Math.min(System.nanoTime() - before, histogram.getHighestTrackableValue()));
            count++;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(count, seconds, count / seconds, histogram.getValueAtPercentile(50) / 1e3,
                histogram.getValueAtPercentile(99) / 1e3, histogram.getMaxValue() / 1e3);
    }
}
