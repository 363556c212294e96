package io.gitward.storage.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InterruptedIOException;

/**
 * Sends a server stream from a blocking producer without buffering it all: {@link #send} waits while the
 * transport is not ready for more, and fails once the client cancelled.
 */
final class FlowControlledSender<T> {
    private final ServerCallStreamObserver<T> observer;
    private final Object ready = new Object();

    FlowControlledSender(StreamObserver<T> responses) {
        this.observer = (ServerCallStreamObserver<T>) responses;
        observer.setOnReadyHandler(() -> {
            synchronized (ready) {
                ready.notifyAll();
            }
        });
    }

    void send(T message) throws IOException {
        synchronized (ready) {
            while (!observer.isReady()) {
                if (observer.isCancelled()) {
                    throw new IOException("the client cancelled the call");
                }
                try {
                    ready.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while sending");
                }
            }
        }
        if (observer.isCancelled()) {
            throw new IOException("the client cancelled the call");
        }
        observer.onNext(message);
    }

    void complete() {
        observer.onCompleted();
    }
}
