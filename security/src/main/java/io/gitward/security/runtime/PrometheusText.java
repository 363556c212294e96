package io.gitward.security.runtime;

import io.gitward.security.audit.AuditLog;
import java.util.Map;

/**
 * The security metrics in the Prometheus text exposition format. Label values are escaped; every label set
 * is bounded (audit keys by {@code security.audit.max-keys}, the rest by closed vocabularies). No secret is
 * ever a label.
 */
public final class PrometheusText {
    private PrometheusText() {
    }

    public static String render(SecurityRuntime security) {
        StringBuilder out = new StringBuilder();
        type(out, "gitward_calls_total", "counter", "Calls by caller, transport, credential, scope and decision.");
        for (AuditLog.Row row : security.audit().rows()) {
            out.append("gitward_calls_total{principal=\"").append(escape(row.principal())).append("\",transport=\"")
                    .append(row.transport()).append("\",credential=\"").append(row.credential()).append("\",scope=\"")
                    .append(row.scope()).append("\",decision=\"").append(row.decision()).append("\"} ").append(row.count())
                    .append('\n');
        }
        type(out, "gitward_authentications_total", "counter",
                "Authentication outcomes; labels mean what Gitaly's authentications_total{enforced,status} means.");
        for (Map.Entry<String, Long> entry : security.metrics().authentications().entrySet()) {
            String[] parts = entry.getKey().split("\\|", 2);
            out.append("gitward_authentications_total{enforced=\"").append(parts[0]).append("\",status=\"")
                    .append(parts[1]).append("\"} ").append(entry.getValue()).append('\n');
        }
        type(out, "gitward_tls_handshake_failures_total", "counter", "Refused TLS handshakes by reason.");
        for (Map.Entry<String, Long> entry : security.credentials().failures().snapshot().entrySet()) {
            out.append("gitward_tls_handshake_failures_total{reason=\"").append(entry.getKey()).append("\"} ")
                    .append(entry.getValue()).append('\n');
        }
        type(out, "gitward_tokens_total", "counter", "Bearer tokens seen, by verdict.");
        for (Map.Entry<String, Long> entry : security.metrics().tokens().entrySet()) {
            out.append("gitward_tokens_total{verdict=\"").append(entry.getKey()).append("\"} ").append(entry.getValue())
                    .append('\n');
        }
        type(out, "gitward_forwarded_headers_stripped_total", "counter",
                "Forwarded client-certificate headers sent by peers that are not an edge.");
        out.append("gitward_forwarded_headers_stripped_total ").append(security.metrics().forwardedHeadersStripped())
                .append('\n');
        type(out, "gitward_reloads_total", "counter", "Reloads of key, trust and token files, by result.");
        for (Map.Entry<String, Long> entry : security.reloads().snapshot().entrySet()) {
            String[] parts = entry.getKey().split("\\|", 2);
            out.append("gitward_reloads_total{material=\"").append(parts[0]).append("\",result=\"").append(parts[1])
                    .append("\"} ").append(entry.getValue()).append('\n');
        }
        type(out, "gitward_limit_refusals_total", "counter",
                "Peers refused or connections ended by a limit (security.limits.*), by limit.");
        for (Map.Entry<String, Long> entry : security.limitCounters().snapshot().entrySet()) {
            out.append("gitward_limit_refusals_total{limit=\"").append(entry.getKey()).append("\"} ")
                    .append(entry.getValue()).append('\n');
        }
        type(out, "gitward_open_connections", "gauge", "Accepted connections currently open (gRPC and HTTP listeners).");
        out.append("gitward_open_connections ").append(security.connections().size()).append('\n');
        type(out, "gitward_open_probe_connections", "gauge",
                "Accepted connections currently open on the health probe listeners (health, http-health).");
        out.append("gitward_open_probe_connections ").append(security.probeConnections().size()).append('\n');
        type(out, "gitward_security_phase", "gauge", "The enforcement phase in effect.");
        out.append("gitward_security_phase ").append(security.flags().phase()).append('\n');
        return out.toString();
    }

    private static void type(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
