package io.gitward.tests.limits;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * An authenticated client that opens a new connection for every call, as a node does after a restart or a client
 * after a GOAWAY: under a flood of unfinished handshakes it must still get in (and be served).
 */
final class FreshConnections {
    private final String name;
    private final Callable<ManagedChannel> dial;
    private final Consumer<ManagedChannel> call;
    int succeeded;
    int failed;
    final List<String> failures = new ArrayList<>();

    /** @param call one call on the fresh channel; throws {@link StatusRuntimeException} when it fails */
    FreshConnections(String name, Callable<ManagedChannel> dial, Consumer<ManagedChannel> call) {
        this.name = name;
        this.dial = dial;
        this.call = call;
    }

    /** One new connection and call every {@code intervalMillis} until {@code until} (System.nanoTime). */
    void run(long until, long intervalMillis) throws Exception {
        while (System.nanoTime() < until && !Thread.currentThread().isInterrupted()) {
            ManagedChannel channel = dial.call();
            try {
                call.accept(channel);
                succeeded++;
            } catch (StatusRuntimeException e) {
                failed++;
                if (failures.size() < 5) {
                    failures.add(e.getStatus().toString());
                }
            } finally {
                channel.shutdownNow();
            }
            Thread.sleep(intervalMillis);
        }
    }

    String describe() {
        return name + ": fresh connections ok=" + succeeded + " failed=" + failed + (failures.isEmpty() ? "" : " " + failures);
    }
}
