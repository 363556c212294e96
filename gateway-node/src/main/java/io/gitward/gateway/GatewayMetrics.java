package io.gitward.gateway;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Git requests by service and HTTP status, in the Prometheus text format. Keys are bounded: few services and codes. */
final class GatewayMetrics {
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();

    void record(String service, int status) {
        requests.computeIfAbsent("service=\"" + service + "\",code=\"" + status + "\"", key -> new LongAdder()).increment();
    }

    String prometheusText() {
        StringBuilder text = new StringBuilder();
        text.append("# HELP gitward_gateway_requests_total Git smart-HTTP requests answered, by service and HTTP status.\n")
                .append("# TYPE gitward_gateway_requests_total counter\n");
        new TreeMap<>(requests).forEach((labels, count) -> text.append("gitward_gateway_requests_total{").append(labels)
                .append("} ").append(count.sum()).append('\n'));
        return text.toString();
    }
}
