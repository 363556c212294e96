package io.gitward.tests.security;

import io.gitward.tests.probe.ProbeRequest;
import io.gitward.tests.probe.ProbeResponse;
import io.gitward.tests.probe.ScopeProbeGrpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Steady unary calls from a few threads over a channel the test can swap (a client rotating its own
 * certificate), with retries off and waitForReady off, counting every success and failure.
 */
final class LoadClient implements AutoCloseable {
    private final AtomicReference<ManagedChannel> channel;
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    LoadClient(ManagedChannel initial, int threadCount) {
        channel = new AtomicReference<>(initial);
        for (int i = 0; i < threadCount; i++) {
            Thread thread = new Thread(this::loop, "load-" + i);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
    }

    private void loop() {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (running && System.nanoTime() < deadline) {
            try {
                ScopeProbeGrpc.newBlockingStub(channel.get()).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .public_(ProbeRequest.getDefaultInstance());
                ok.incrementAndGet();
            } catch (StatusRuntimeException e) {
                failed.incrementAndGet();
                if (failures.size() < 20) {
                    failures.add(e.getStatus().toString());
                }
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Moves the load to a new channel, then lets the old one finish its in-flight calls and close. */
    void switchTo(ManagedChannel next) {
        ManagedChannel previous = channel.getAndSet(next);
        previous.shutdown();
    }

    long ok() {
        return ok.get();
    }

    long failed() {
        return failed.get();
    }

    List<String> failures() {
        return List.copyOf(failures);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread thread : threads) {
            thread.join(15_000);
        }
        channel.get().shutdownNow();
    }

    /** A long-lived server stream: counts messages, remembers how and when it ended. */
    static final class Stream implements StreamObserver<ProbeResponse> {
        final AtomicLong messages = new AtomicLong();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        volatile long endedAtNanos;

        static Stream open(ManagedChannel channel) {
            Stream stream = new Stream();
            ScopeProbeGrpc.newStub(channel).watch(ProbeRequest.getDefaultInstance(), stream);
            return stream;
        }

        @Override
        public void onNext(ProbeResponse value) {
            messages.incrementAndGet();
        }

        @Override
        public void onError(Throwable t) {
            error.set(t);
            endedAtNanos = System.nanoTime();
        }

        @Override
        public void onCompleted() {
            error.set(new IllegalStateException("the stream completed"));
            endedAtNanos = System.nanoTime();
        }
    }
}
