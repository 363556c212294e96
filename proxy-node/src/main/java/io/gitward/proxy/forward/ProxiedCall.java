package io.gitward.proxy.forward;

import io.gitward.proto.Repository;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * One client call through the proxy: waits for the first message (to read the target repository), lets a
 * {@link Route} open the upstream calls, then moves messages in both directions with flow control — a
 * client message goes to every upstream and the next is requested only when all of them can take it; the
 * answering upstream's messages go to the client as the client can take them. Deadline and cancellation
 * reach the upstream calls through the call's context.
 */
final class ProxiedCall extends ServerCall.Listener<byte[]> implements Upstream.Events {
    /** Decides where a call goes once its target repository is known, and what happens when it ends. */
    interface Route {
        /** Opens the upstream calls (through {@link ProxiedCall#open}); runs on the routing executor. */
        void start(ProxiedCall call, Repository repository) throws RouteException;

        /** Every upstream ended (or the route gave up waiting): close the client call. */
        void finish(ProxiedCall call);

        /**
         * Whether {@link #start} may wait (a write lock, a database read): then it runs on the routing executor, so
         * neither the call's own events (a cancellation) nor the transport thread the proxied services run on are held
         * up behind it. A start that cannot block runs in place, saving a thread hand-off.
         */
        default boolean startMayWait(Repository repository) {
            return true;
        }
    }

    private final ServerCall<byte[], byte[]> call;
    private final Metadata inboundHeaders;
    private final MethodDescriptor<byte[], byte[]> method;
    private final int targetField;
    private final Route route;
    private final Executor routing;
    private final Context context;
    private final List<Upstream> upstreams = new ArrayList<>();
    private final List<byte[]> early = new ArrayList<>();
    private boolean sawFirst;
    private boolean routed;
    private boolean halfClosed;
    /** The upstream calls were half-closed (or that is under way): by the route's start or the client's half-close. */
    private boolean upstreamsHalfClosed;
    private boolean clientWantsMore;
    private boolean upstreamDemandPending;
    private boolean headersSent;
    private boolean finished;

    ProxiedCall(ServerCall<byte[], byte[]> call, Metadata inboundHeaders, int targetField, Route route, Executor routing) {
        this.call = call;
        this.inboundHeaders = inboundHeaders;
        this.method = call.getMethodDescriptor();
        this.targetField = targetField;
        this.route = route;
        this.routing = routing;
        this.context = Context.current();
    }

    String methodName() {
        return method.getFullMethodName();
    }

    MethodDescriptor.MethodType methodType() {
        return method.getType();
    }

    /** A header of the client's call (e.g. a routing hint), or null. */
    String inboundHeader(Metadata.Key<String> key) {
        return inboundHeaders.get(key);
    }

    /** Opens one upstream call to {@code storage} with the allowlisted inbound headers plus {@code extra}. */
    Upstream open(String storage, ManagedChannel channel, boolean answersClient, Metadata extra) {
        Metadata headers = ForwardedHeaders.from(inboundHeaders);
        headers.merge(extra);
        Upstream upstream = new Upstream(storage, answersClient, this);
        Deadline deadline = context.getDeadline();
        CallOptions options = deadline == null ? CallOptions.DEFAULT : CallOptions.DEFAULT.withDeadline(deadline);
        // Started inside the client call's context: its cancellation and deadline cancel the upstream call too.
        Context previous = context.attach();
        try {
            upstream.start(channel.newCall(method, options), headers);
        } finally {
            context.detach(previous);
        }
        synchronized (this) {
            upstreams.add(upstream);
        }
        return upstream;
    }

    synchronized List<Upstream> upstreams() {
        return List.copyOf(upstreams);
    }

    /** Refuses the call before anything was forwarded. */
    void refuse(Status status) {
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
        }
        call.close(status, new Metadata());
    }

    /** Ends the client call with an upstream's (or the route's) status. */
    void close(Status status, Metadata trailers) {
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
        }
        call.close(status, trailers == null ? new Metadata() : trailers);
    }

    // ---- client side (serialized by gRPC) ----

    @Override
    public void onMessage(byte[] message) {
        boolean first;
        boolean queued;
        synchronized (this) {
            first = !sawFirst;
            sawFirst = true;
            queued = !routed;
            if (queued) {
                early.add(message); // the route's start sends it, after the ones before it
            }
        }
        if (first) {
            Repository repository;
            try {
                repository = TargetRepository.read(message, targetField);
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                refuse(Status.INVALID_ARGUMENT.withDescription("the request is not a valid " + method.getFullMethodName()
                        + " message: " + e.getMessage()));
                return;
            }
            if (route.startMayWait(repository)) {
                routing.execute(context.wrap(() -> startRoute(repository)));
            } else {
                startRoute(repository);
            }
            return;
        }
        if (!queued) {
            sendToUpstreams(message);
        }
    }

    private void startRoute(Repository repository) {
        try {
            route.start(this, repository);
        } catch (RouteException e) {
            refuse(e.status());
            return;
        } catch (RuntimeException e) {
            refuse(Status.INTERNAL.withDescription("routing " + method.getFullMethodName() + " failed on the proxy (see"
                    + " its log)"));
            org.slf4j.LoggerFactory.getLogger(ProxiedCall.class).error("routing failed", e);
            return;
        }
        // Messages that arrived while routing go out first, in order; only then do new ones pass straight through.
        boolean closeNow;
        while (true) {
            List<byte[]> pending;
            synchronized (this) {
                pending = List.copyOf(early);
                early.clear();
                if (pending.isEmpty()) {
                    routed = true;
                    // The client may have half-closed while routing ran elsewhere: exactly one of the two passes it on.
                    closeNow = halfClosed && !upstreamsHalfClosed;
                    upstreamsHalfClosed |= closeNow;
                    break;
                }
            }
            for (byte[] message : pending) {
                sendToUpstreams(message);
            }
        }
        if (closeNow) {
            upstreams().forEach(Upstream::halfClose);
        }
    }

    private void sendToUpstreams(byte[] message) {
        List<Upstream> targets = upstreams();
        for (Upstream upstream : targets) {
            upstream.send(message);
        }
        synchronized (this) {
            clientWantsMore = true;
        }
        requestFromClientIfReady();
    }

    private void requestFromClientIfReady() {
        boolean request;
        synchronized (this) {
            request = clientWantsMore && !halfClosed && upstreams.stream().allMatch(u -> u.closed() || u.isReady());
            if (request) {
                clientWantsMore = false;
            }
        }
        if (request) {
            call.request(1);
        }
    }

    @Override
    public void onHalfClose() {
        boolean closeNow;
        synchronized (this) {
            halfClosed = true;
            closeNow = routed && !upstreamsHalfClosed;
            upstreamsHalfClosed |= closeNow;
        }
        if (closeNow) {
            upstreams().forEach(Upstream::halfClose);
        }
    }

    @Override
    public void onCancel() {
        // The context's cancellation already cancels the upstream calls; the route still records their outcome.
    }

    @Override
    public void onReady() {
        Upstream answering;
        synchronized (this) {
            if (!upstreamDemandPending) {
                return;
            }
            upstreamDemandPending = false;
            answering = upstreams.stream().filter(Upstream::answersClient).findFirst().orElse(null);
        }
        if (answering != null && !answering.closed()) {
            answering.request(1);
        }
    }

    // ---- upstream side ----

    @Override
    public void upstreamReady() {
        requestFromClientIfReady();
    }

    @Override
    public void upstreamHeaders(Upstream upstream, Metadata headers) {
        synchronized (this) {
            if (headersSent || finished) {
                return;
            }
            headersSent = true;
        }
        call.sendHeaders(headers);
    }

    @Override
    public void upstreamMessage(Upstream upstream, byte[] message) {
        synchronized (this) {
            if (finished) {
                return;
            }
            if (!headersSent) {
                headersSent = true;
                call.sendHeaders(new Metadata());
            }
        }
        call.sendMessage(message);
        if (call.isReady()) {
            upstream.request(1);
        } else {
            synchronized (this) {
                upstreamDemandPending = true;
            }
            // onReady may have fired between isReady() and the flag: check once more.
            if (call.isReady()) {
                onReady();
            }
        }
    }

    @Override
    public void upstreamClosed(Upstream upstream, Status status, Metadata trailers) {
        requestFromClientIfReady();
        route.finish(this);
    }

    /** A refusal decided by the route, with the status the client gets. */
    static final class RouteException extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient Status status;

        RouteException(Status status) {
            super(status.getDescription());
            this.status = status;
        }

        Status status() {
            return status;
        }
    }
}
