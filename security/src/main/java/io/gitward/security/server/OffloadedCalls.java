package io.gitward.security.server;

import static java.util.Objects.requireNonNull;

import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Moves a service's calls off the transport threads. A listener whose gRPC server runs calls on the transport
 * ({@code directExecutor}) serves the services that never block there; every other service of that listener is
 * wrapped here, so its handler — from {@code startCall} on, in order, one event at a time — runs on
 * {@code executor} instead, as it would on a server with an executor.
 */
public final class OffloadedCalls implements ServerInterceptor {
    private final Executor executor;

    private OffloadedCalls(Executor executor) {
        this.executor = requireNonNull(executor, "executor");
    }

    /** {@code service} with every call's handler run on {@code executor}. */
    public static ServerServiceDefinition offload(ServerServiceDefinition service, Executor executor) {
        return ServerInterceptors.intercept(service, new OffloadedCalls(executor));
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
            ServerCallHandler<ReqT, RespT> next) {
        SerialExecutor serial = new SerialExecutor(executor);
        DeferredListener<ReqT> listener = new DeferredListener<>(serial, call);
        // The call's context (deadline, cancellation, the caller set by the security interceptor) goes along.
        serial.execute(Context.current().wrap(() -> {
            try {
                listener.start(next.startCall(call, headers));
            } catch (RuntimeException e) {
                listener.fail(e);
            }
        }));
        return listener;
    }

    /** Forwards each event to the handler's listener on the call's serial executor, after the handler started. */
    private static final class DeferredListener<ReqT> extends ServerCall.Listener<ReqT> {
        private final SerialExecutor serial;
        private final ServerCall<?, ?> call;
        /** Written and read on the serial executor only: events queued behind the start see it set. */
        private ServerCall.Listener<ReqT> delegate;

        DeferredListener(SerialExecutor serial, ServerCall<?, ?> call) {
            this.serial = serial;
            this.call = call;
        }

        void start(ServerCall.Listener<ReqT> started) {
            delegate = started;
        }

        /** A handler threw: the call ends now (see {@link HandlerFailures}), not at the client's deadline. */
        void fail(RuntimeException e) {
            HandlerFailures.end(call, e);
        }

        private void later(Runnable event) {
            serial.execute(Context.current().wrap(() -> {
                if (delegate == null) {
                    return;
                }
                try {
                    event.run();
                } catch (RuntimeException e) {
                    fail(e);
                }
            }));
        }

        @Override
        public void onMessage(ReqT message) {
            later(() -> delegate.onMessage(message));
        }

        @Override
        public void onHalfClose() {
            later(() -> delegate.onHalfClose());
        }

        @Override
        public void onCancel() {
            later(() -> delegate.onCancel());
        }

        @Override
        public void onComplete() {
            later(() -> delegate.onComplete());
        }

        @Override
        public void onReady() {
            later(() -> delegate.onReady());
        }
    }

    /** Runs tasks one at a time, in submission order, on a shared executor. */
    static final class SerialExecutor implements Executor {
        private final Executor executor;
        private final Queue<Runnable> tasks = new ArrayDeque<>();
        private boolean running;

        SerialExecutor(Executor executor) {
            this.executor = executor;
        }

        @Override
        public void execute(Runnable task) {
            requireNonNull(task, "task");
            synchronized (this) {
                tasks.add(task);
                if (running) {
                    return;
                }
                running = true;
            }
            try {
                executor.execute(this::drain);
            } catch (RejectedExecutionException e) {
                synchronized (this) {
                    tasks.clear();
                    running = false;
                }
                throw e;
            }
        }

        private void drain() {
            while (true) {
                Runnable task;
                synchronized (this) {
                    task = tasks.poll();
                    if (task == null) {
                        running = false;
                        return;
                    }
                }
                try {
                    task.run();
                } catch (RuntimeException e) {
                    // One failing event must not stall the call's later events (gRPC's own executor logs and goes on).
                    org.slf4j.LoggerFactory.getLogger(OffloadedCalls.class).warn("a call's event failed", e);
                }
            }
        }
    }
}
