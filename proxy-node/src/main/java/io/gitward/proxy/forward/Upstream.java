package io.gitward.proxy.forward;

import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;

/**
 * One call from the proxy to one storage node. The first upstream of a call is the one whose answer reaches
 * the client; the others (secondaries of a write) are drained and only their status is kept.
 */
final class Upstream extends ClientCall.Listener<byte[]> {
    /** Told when this upstream is ready for more, and when it ends. */
    interface Events {
        void upstreamReady();

        void upstreamHeaders(Upstream upstream, Metadata headers);

        void upstreamMessage(Upstream upstream, byte[] message);

        void upstreamClosed(Upstream upstream, Status status, Metadata trailers);
    }

    private final String storage;
    private final boolean answersClient;
    private final Events events;
    private ClientCall<byte[], byte[]> call;
    private volatile Status status;
    private volatile Metadata trailers;

    Upstream(String storage, boolean answersClient, Events events) {
        this.storage = storage;
        this.answersClient = answersClient;
        this.events = events;
    }

    void start(ClientCall<byte[], byte[]> clientCall, Metadata headers) {
        this.call = clientCall;
        clientCall.start(this, headers);
        clientCall.request(1);
    }

    String storage() {
        return storage;
    }

    boolean answersClient() {
        return answersClient;
    }

    ClientCall<byte[], byte[]> call() {
        return call;
    }

    boolean closed() {
        return status != null;
    }

    Status status() {
        return status;
    }

    Metadata trailers() {
        return trailers;
    }

    @Override
    public void onHeaders(Metadata headers) {
        if (answersClient) {
            events.upstreamHeaders(this, headers);
        }
    }

    @Override
    public void onMessage(byte[] message) {
        if (answersClient) {
            events.upstreamMessage(this, message);
        } else {
            call.request(1); // a secondary's answer is not needed: keep it flowing
        }
    }

    @Override
    public void onReady() {
        events.upstreamReady();
    }

    @Override
    public void onClose(Status closeStatus, Metadata closeTrailers) {
        this.trailers = closeTrailers;
        this.status = closeStatus;
        events.upstreamClosed(this, closeStatus, closeTrailers);
    }
}
