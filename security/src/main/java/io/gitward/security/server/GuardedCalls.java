package io.gitward.security.server;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;

/**
 * For services whose handlers run on the transport threads: a handler that throws has its call ended as
 * {@link HandlerFailures} says (logged, named), and the call's later events are dropped — without this, gRPC
 * answers {@code UNKNOWN: Application error processing RPC} and nothing on the node says which handler or why.
 */
public final class GuardedCalls implements ServerInterceptor {
    private static final GuardedCalls INSTANCE = new GuardedCalls();

    private GuardedCalls() {
    }

    /** {@code service} with every call's handler failures logged and answered. */
    public static ServerServiceDefinition guard(ServerServiceDefinition service) {
        return ServerInterceptors.intercept(service, INSTANCE);
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
            ServerCallHandler<ReqT, RespT> next) {
        ServerCall.Listener<ReqT> listener;
        try {
            listener = next.startCall(call, headers);
        } catch (RuntimeException e) {
            HandlerFailures.end(call, e);
            return new ServerCall.Listener<>() { };
        }
        return new Guarded<>(listener, call);
    }

    /** gRPC delivers a call's events one at a time, so {@code failed} needs no lock. */
    private static final class Guarded<ReqT> extends ServerCall.Listener<ReqT> {
        private final ServerCall.Listener<ReqT> delegate;
        private final ServerCall<?, ?> call;
        private boolean failed;

        Guarded(ServerCall.Listener<ReqT> delegate, ServerCall<?, ?> call) {
            this.delegate = delegate;
            this.call = call;
        }

        private void run(Runnable event) {
            if (failed) {
                return;
            }
            try {
                event.run();
            } catch (RuntimeException e) {
                failed = true;
                HandlerFailures.end(call, e);
            }
        }

        @Override
        public void onMessage(ReqT message) {
            run(() -> delegate.onMessage(message));
        }

        @Override
        public void onHalfClose() {
            run(delegate::onHalfClose);
        }

        @Override
        public void onCancel() {
            run(delegate::onCancel);
        }

        @Override
        public void onComplete() {
            run(delegate::onComplete);
        }

        @Override
        public void onReady() {
            run(delegate::onReady);
        }
    }
}
