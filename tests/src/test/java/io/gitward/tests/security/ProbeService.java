package io.gitward.tests.security;

import io.gitward.security.authz.Caller;
import io.gitward.security.authz.SecurityContext;
import io.gitward.tests.probe.ProbeRequest;
import io.gitward.tests.probe.ProbeResponse;
import io.gitward.tests.probe.ScopeProbeGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** Answers every probe with what the server saw about the caller; never checks roles (the interceptor does). */
final class ProbeService extends ScopeProbeGrpc.ScopeProbeImplBase {
    private static final Context.Key<Boolean> AUTHORIZATION_SEEN = Context.key("probe-authorization-seen");
    private static final ScheduledExecutorService TICKS = Executors.newScheduledThreadPool(1, runnable -> {
        Thread thread = new Thread(runnable, "probe-watch");
        thread.setDaemon(true);
        return thread;
    });

    /** The service plus an interceptor (inside the security one) that notes whether credentials reached handlers. */
    static ServerServiceDefinition definition() {
        return ServerInterceptors.intercept(new ProbeService(), new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                boolean seen = headers.containsKey(SecurityContext.AUTHORIZATION);
                return Contexts.interceptCall(Context.current().withValue(AUTHORIZATION_SEEN, seen), call, headers, next);
            }
        });
    }

    private static ProbeResponse answer(long sequence) {
        Caller caller = SecurityContext.caller();
        return ProbeResponse.newBuilder()
                .setPrincipal(caller == null ? "(none)" : caller.principal())
                .setTransport(caller == null ? "(none)" : caller.transport().code())
                .setCredential(caller == null ? "(none)" : caller.credential())
                .setAuthorizationHeaderVisible(Boolean.TRUE.equals(AUTHORIZATION_SEEN.get()))
                .setSequence(sequence)
                .build();
    }

    private static void unary(StreamObserver<ProbeResponse> responses) {
        responses.onNext(answer(0));
        responses.onCompleted();
    }

    @Override
    public void public_(ProbeRequest request, StreamObserver<ProbeResponse> responses) {
        unary(responses);
    }

    @Override
    public void internal(ProbeRequest request, StreamObserver<ProbeResponse> responses) {
        unary(responses);
    }

    @Override
    public void maintenance(ProbeRequest request, StreamObserver<ProbeResponse> responses) {
        unary(responses);
    }

    @Override
    public void adminRead(ProbeRequest request, StreamObserver<ProbeResponse> responses) {
        unary(responses);
    }

    @Override
    public void adminWrite(ProbeRequest request, StreamObserver<ProbeResponse> responses) {
        unary(responses);
    }

    @Override
    public void txRegister(ProbeRequest request, StreamObserver<ProbeResponse> responses) {
        unary(responses);
    }

    @Override
    public void txVote(ProbeRequest request, StreamObserver<ProbeResponse> responses) {
        unary(responses);
    }

    @Override
    public void expensive(ProbeRequest request, StreamObserver<ProbeResponse> responses) {
        Context context = Context.current();
        TICKS.schedule(() -> context.run(() -> unary(responses)), request.getHoldMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void unannotated(ProbeRequest request, StreamObserver<ProbeResponse> responses) {
        unary(responses);
    }

    /** Sends one message every 20 ms until the client cancels. */
    @Override
    public void watch(ProbeRequest request, StreamObserver<ProbeResponse> responses) {
        ServerCallStreamObserver<ProbeResponse> observer = (ServerCallStreamObserver<ProbeResponse>) responses;
        Context context = Context.current();
        long[] sequence = {0};
        ScheduledFuture<?> ticking = TICKS.scheduleAtFixedRate(() -> context.run(() -> {
            if (!observer.isCancelled()) {
                synchronized (observer) {
                    observer.onNext(answer(sequence[0]++));
                }
            }
        }), 0, 20, TimeUnit.MILLISECONDS);
        observer.setOnCancelHandler(() -> ticking.cancel(false));
    }
}
