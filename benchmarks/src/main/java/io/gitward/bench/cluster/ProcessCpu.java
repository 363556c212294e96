package io.gitward.bench.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * User + system CPU time of processes from {@code /proc/PID/stat} (fields 14 and 15, in clock ticks), each
 * process summed with its descendants (nginx's workers under its master). A process that is gone reads as -1.
 */
final class ProcessCpu {
    private final long clockTicks;

    ProcessCpu(long clockTicks) {
        this.clockTicks = clockTicks <= 0 ? 100 : clockTicks;
    }

    /** CPU seconds so far of every named process and its descendants. */
    Map<String, Double> sample(Map<String, Long> processes) {
        Map<String, Double> seconds = new LinkedHashMap<>();
        for (Map.Entry<String, Long> process : processes.entrySet()) {
            long ticks = ticks(process.getValue());
            if (ticks >= 0) {
                long children = ProcessHandle.of(process.getValue()).map(handle -> handle.descendants()
                        .mapToLong(child -> Math.max(0, ticks(child.pid()))).sum()).orElse(0L);
                seconds.put(process.getKey(), (double) (ticks + children) / clockTicks);
            } else {
                seconds.put(process.getKey(), -1.0);
            }
        }
        return seconds;
    }

    static long ticks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
