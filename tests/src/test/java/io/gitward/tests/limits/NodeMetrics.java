package io.gitward.tests.limits;

import io.gitward.proto.GetMetricsRequest;
import io.gitward.proto.SecurityAdminGrpc;
import io.grpc.ManagedChannel;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** One reading of a node's Prometheus text through {@code SecurityAdmin/GetMetrics} (ADMIN_READ, as an admin). */
final class NodeMetrics {
    private final Map<String, Double> samples;
    private final String text;

    private NodeMetrics(Map<String, Double> samples, String text) {
        this.samples = samples;
        this.text = text;
    }

    static NodeMetrics read(ManagedChannel admin) {
        String text = SecurityAdminGrpc.newBlockingStub(admin).withDeadlineAfter(20, TimeUnit.SECONDS)
                .getMetrics(GetMetricsRequest.getDefaultInstance()).getPrometheusText();
        Map<String, Double> samples = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return new NodeMetrics(samples, text);
    }

    /** The sample named exactly (with its labels, as printed), 0 when absent. */
    long value(String sample) {
        return samples.getOrDefault(sample, 0.0).longValue();
    }

    String text() {
        return text;
    }
}
