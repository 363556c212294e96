package io.gitward.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsExchange;
import io.gitward.security.tls.NodeCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves Git's smart HTTP: recognises the request, establishes the end user from their certificate, and hands the
 * exchange to the proxy on their behalf. The gateway has no rights of its own to fall back on: no verified client
 * certificate, no call.
 */
final class SmartHttpHandler implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(SmartHttpHandler.class);
    /** Git's protocol negotiation header (e.g. {@code version=2}); bounded because it is copied into the call. */
    private static final int MAX_GIT_PROTOCOL = 256;

    private final NodeCredentials credentials;
    private final ProxyExchange proxy;
    private final GatewayMetrics metrics;

    SmartHttpHandler(NodeCredentials credentials, ProxyExchange proxy, GatewayMetrics metrics) {
        this.credentials = credentials;
        this.proxy = proxy;
        this.metrics = metrics;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Optional<GitRequest> parsed = GitRequest.parse(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    exchange.getRequestURI().getRawQuery());
            if (parsed.isEmpty()) {
                answer(exchange, "other", 404, "not a Git smart-HTTP URL (expected /<repository>/info/refs?service=..."
                        + " or POST /<repository>/git-upload-pack|git-receive-pack)");
                return;
            }
            GitRequest request = parsed.get();
            EndUser user;
            try {
                user = EndUser.of((HttpsExchange) exchange, credentials);
            } catch (EndUser.Refused e) {
                answer(exchange, request.service(), 403, e.getMessage());
                return;
            }
            String protocol = gitProtocol(exchange);
            if (protocol == null) {
                answer(exchange, request.service(), 400, "Git-Protocol header longer than " + MAX_GIT_PROTOCOL + " bytes");
                return;
            }
            try {
                if (request.advertisement()) {
                    proxy.advertise(request, user, protocol, exchange);
                } else {
                    proxy.post(request, user, protocol, exchange);
                }
                metrics.record(request.service(), 200);
            } catch (ProxyExchange.Failed e) {
                LOG.info("{} {} for {}: {} ({})", exchange.getRequestMethod(), request.repository(), user.identity(),
                        e.httpStatus(), e.getMessage());
                answer(exchange, request.service(), e.httpStatus(), e.getMessage());
            } catch (IOException e) {
                metrics.record(request.service(), 499);
                LOG.info("{} {} for {} cut: {}", exchange.getRequestMethod(), request.repository(), user.identity(),
                        e.getMessage());
                throw e;
            }
        } catch (RuntimeException e) {
            LOG.error("Git HTTP request failed", e);
            throw e;
        }
    }

    private static String gitProtocol(HttpExchange exchange) {
        String value = exchange.getRequestHeaders().getFirst("Git-Protocol");
        if (value == null) {
            return "";
        }
        return value.length() > MAX_GIT_PROTOCOL ? null : value;
    }

    private void answer(HttpExchange exchange, String service, int status, String message) throws IOException {
        metrics.record(service, status);
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ProxyExchange.noCache(exchange);
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }
}
