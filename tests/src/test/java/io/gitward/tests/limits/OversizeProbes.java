package io.gitward.tests.limits;

import io.gitward.proto.FindRefRequest;
import io.gitward.proto.RefServiceGrpc;
import io.gitward.proto.Repository;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Requests larger than the node allows: a message beyond {@code max-inbound-message-bytes} through gRPC, and a
 * header block beyond {@code max-inbound-metadata-bytes} written as raw frames (a gRPC client would refuse to send
 * it). Each probe's outcomes are counted by name, e.g. {@code RESOURCE_EXHAUSTED} or {@code HTTP 431}.
 */
final class OversizeProbes {
    private static final Duration IO_TIMEOUT = Duration.ofSeconds(10);

    private final Map<String, Map<String, AtomicInteger>> outcomes = new ConcurrentHashMap<>();

    /** FindRef whose reference name alone is {@code bytes} long. */
    void findRefMessage(String probe, ManagedChannel channel, Repository repository, int bytes) {
        try {
            RefServiceGrpc.newBlockingStub(channel).withDeadlineAfter(IO_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .findRef(FindRefRequest.newBuilder().setRepository(repository).setName("x".repeat(bytes)).build());
            count(probe, "OK");
        } catch (StatusRuntimeException e) {
            count(probe, e.getStatus().getCode().name());
        }
    }

    /** A health check whose service name alone is {@code bytes} long, over the plaintext health listener. */
    void healthMessage(String probe, ManagedChannel channel, int bytes) {
        try {
            HealthGrpc.newBlockingStub(channel).withDeadlineAfter(IO_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .check(HealthCheckRequest.newBuilder().setService("x".repeat(bytes)).build());
            count(probe, "OK");
        } catch (StatusRuntimeException e) {
            count(probe, e.getStatus().getCode() == Status.Code.NOT_FOUND ? "NOT_FOUND (accepted)"
                    : e.getStatus().getCode().name());
        }
    }

    /**
     * One request on a fresh connection whose headers carry {@code paddingBytes} in one extra header; the outcome
     * is the node's answer: its response status, a reset, a GOAWAY or the close.
     */
    void rawHeaders(String probe, Endpoint endpoint, Map<String, String> request, int paddingBytes) {
        Map<String, String> headers = new java.util.LinkedHashMap<>(request);
        headers.put("x-padding", "p".repeat(paddingBytes));
        ByteArrayOutputStream frames = new ByteArrayOutputStream();
        Http2Frames.headers(frames, 1, Http2Frames.headerBlock(headers), true);
        send(probe, endpoint, frames);
    }

    /** Sends {@code frames} for stream 1 on a fresh connection and counts what the node answered. */
    private void send(String probe, Endpoint endpoint, ByteArrayOutputStream frames) {
        RawHttp2Connection connection;
        try {
            connection = RawHttp2Connection.open(endpoint, IO_TIMEOUT);
        } catch (IOException e) {
            count(probe, "refused (" + e.getClass().getSimpleName() + ")");
            return;
        }
        try (connection) {
            try {
                connection.write(frames);
            } catch (IOException e) {
                // The node ended the connection before taking all of it (it read enough to refuse).
                count(probe, "closed while sending");
                return;
            }
            RawHttp2Connection.Response response = connection.awaitResponse(1, IO_TIMEOUT);
            if (response != null) {
                count(probe, response.describe());
            } else if (connection.goAway() != null) {
                count(probe, "GOAWAY " + connection.goAway().goAwayError());
            } else {
                count(probe, connection.closedByPeer() ? "closed" : "no answer");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A gRPC request on a fresh connection whose message announces {@code declaredBytes}; only its first bytes are
     * sent, as the node must refuse it on the length prefix alone.
     */
    void rawMessage(String probe, Endpoint endpoint, Map<String, String> request, int declaredBytes) {
        ByteArrayOutputStream frames = new ByteArrayOutputStream();
        Http2Frames.headers(frames, 1, Http2Frames.headerBlock(request), false);
        Http2Frames.data(frames, 1, Http2Frames.grpcMessageStart(declaredBytes, 1000), false);
        send(probe, endpoint, frames);
    }

    private void count(String probe, String outcome) {
        outcomes.computeIfAbsent(probe, key -> new ConcurrentHashMap<>()).computeIfAbsent(outcome,
                key -> new AtomicInteger()).incrementAndGet();
    }

    /** Outcome counts per probe, sorted. */
    Map<String, Map<String, Integer>> outcomes() {
        Map<String, Map<String, Integer>> copy = new TreeMap<>();
        outcomes.forEach((probe, counts) -> {
            Map<String, Integer> sorted = new TreeMap<>();
            counts.forEach((outcome, count) -> sorted.put(outcome, count.get()));
            copy.put(probe, sorted);
        });
        return copy;
    }

    int total() {
        return outcomes.values().stream().flatMap(counts -> counts.values().stream()).mapToInt(AtomicInteger::get).sum();
    }
}
