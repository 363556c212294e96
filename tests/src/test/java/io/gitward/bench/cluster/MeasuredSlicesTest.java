package io.gitward.bench.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** A variant measured in slices reports what one window of the same total length would have. */
class MeasuredSlicesTest {
    @Test
    void slicesAddUpCallsTimeLatenciesAndCpu() {
        LoadEngine.Measured first = measured(100, 1, List.of("UNAVAILABLE: a"), 2.0, 1_000_000, 3,
                Map.of("client", 0.5, "proxy", 1.0, "nginx", -1.0));
        LoadEngine.Measured second = measured(300, 0, List.of(), 2.0, 3_000_000, 1,
                Map.of("client", 0.25, "proxy", 2.0, "nginx", 0.5));

        LoadEngine.Measured both = first.plus(second);

        assertEquals(400, both.calls());
        assertEquals(1, both.errors());
        assertEquals(List.of("UNAVAILABLE: a"), both.errorSamples());
        assertEquals(4.0, both.seconds());
        assertEquals(4, both.lateStarts());
        assertEquals(400, both.histogram().getTotalCount());
        // 100 calls of 1 ms and 300 of 3 ms: the median is 3 ms, the 20th percentile 1 ms.
        assertEquals(3.0, both.histogram().getValueAtPercentile(50) / 1e6, 0.01);
        assertEquals(1.0, both.histogram().getValueAtPercentile(20) / 1e6, 0.01);
        assertEquals(0.75, both.cpuSeconds().get("client"), 1e-9);
        assertEquals(3.0, both.cpuSeconds().get("proxy"), 1e-9);
        assertEquals(-1.0, both.cpuSeconds().get("nginx"), "unknown in one slice is unknown in the sum");
        assertEquals(100, first.histogram().getTotalCount(), "the slices themselves are left as they were");
    }

    @Test
    void scenariosAreSlicedExceptQuickRunsLoneVariantsAndRotation() {
        assertEquals(LoadPlan.SLICES, LoadPlan.slices(false, 4, false));
        assertEquals(1, LoadPlan.slices(true, 4, false));
        assertEquals(1, LoadPlan.slices(false, 1, false));
        assertEquals(1, LoadPlan.slices(false, 2, true));
    }

    private static LoadEngine.Measured measured(long calls, long errors, List<String> samples, double seconds,
            long latencyNanos, long late, Map<String, Double> cpu) {
        Histogram histogram = new Histogram(60_000_000_000L, 3);
        histogram.recordValueWithCount(latencyNanos, calls);
        return new LoadEngine.Measured(calls, errors, samples, seconds, histogram, late, new LinkedHashMap<>(cpu));
    }
}
