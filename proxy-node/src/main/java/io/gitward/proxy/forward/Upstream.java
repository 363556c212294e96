package io.gitward.proxy.forward;

import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;

/**
 * One call from the proxy to one storage node. The first upstream of a call is the one whose answer reaches
 * the client; the others (secondaries of a write) are drained and only their status is kept.
 *
 * <p>The client's events (a message, its half-close) and the route's decisions (cancel a secondary) reach the call
 * from different threads, and a gRPC client call is not thread-safe and takes nothing after a cancel or a second
 * half-close: {@link #send}, {@link #halfClose} and {@link #cancel} are serialized here and drop what the call can
 * no longer take. Never call them holding another lock: the call may report its end inline.
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
    /** Guarded by {@code this}. */
    private boolean halfClosed;
    private boolean cancelled;

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

    /** Whether the call can take another message now (gRPC's flow control). */
    boolean isReady() {
        return call.isReady();
    }

    /** Asks the storage node for {@code count} more messages; any thread may. */
    void request(int count) {
        call.request(count);
    }

    /** Sends a client message on, unless this call already ended, was cancelled or half-closed. */
    synchronized void send(byte[] message) {
        if (status == null && !cancelled && !halfClosed) {
            call.sendMessage(message);
        }
    }

    /** Tells the storage node the client sent its last message; only the first time counts. */
    synchronized void halfClose() {
        if (status == null && !cancelled && !halfClosed) {
            halfClosed = true;
            call.halfClose();
        }
    }

    /** Cuts the call off (its end still arrives through {@link #onClose}); only the first time counts. */
    synchronized void cancel(String reason) {
        if (status == null && !cancelled) {
            cancelled = true;
            call.cancel(reason, null);
        }
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
