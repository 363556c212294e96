package io.gitward.tests.limits;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Complete TLS handshakes from peers the node must refuse (no client certificate, or one from another CA), at a
 * fixed rate: each sends the HTTP/2 preface after its handshake and reads. Refused means the node ended the
 * connection before answering anything; accepted means an HTTP/2 frame came back, which must never happen.
 */
final class HandshakeRefusals {
    private static final Duration IO_TIMEOUT = Duration.ofSeconds(5);

    private final Endpoint endpoint;
    final AtomicInteger attempts = new AtomicInteger();
    final AtomicInteger refused = new AtomicInteger();
    final AtomicInteger accepted = new AtomicInteger();
    /** Neither: the node did not answer within the timeout (a stalled node). */
    final AtomicInteger unanswered = new AtomicInteger();

    HandshakeRefusals(Endpoint endpoint) {
        this.endpoint = endpoint;
    }

    Endpoint endpoint() {
        return endpoint;
    }

    /** One attempt every {@code 1/perSecond} s until {@code until} (System.nanoTime). */
    void run(long until, double perSecond) throws InterruptedException {
        long interval = (long) (1e9 / perSecond);
        long next = System.nanoTime();
        while (System.nanoTime() < until && !Thread.currentThread().isInterrupted()) {
            attemptOnce();
            next += interval;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } else {
                next = System.nanoTime();
            }
        }
    }

    void attemptOnce() {
        attempts.incrementAndGet();
        try (Socket socket = endpoint.connect(IO_TIMEOUT)) {
            ByteArrayOutputStream preface = new ByteArrayOutputStream();
            preface.writeBytes(Http2Frames.preface());
            socket.getOutputStream().write(preface.toByteArray());
            socket.getOutputStream().flush();
            Http2Frames.read(new DataInputStream(socket.getInputStream()));
            accepted.incrementAndGet();
        } catch (java.net.SocketTimeoutException e) {
            unanswered.incrementAndGet();
        } catch (IOException e) {
            // TLS 1.3 finishes the client's side of the handshake before the node judges the certificate: the
            // refusal arrives as an alert or a close on the first read.
            refused.incrementAndGet();
        }
    }

    String describe() {
        return endpoint.name() + ": attempts=" + attempts + " refused=" + refused + " accepted=" + accepted
                + " unanswered=" + unanswered;
    }
}
