package io.gitward.gateway;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpExchange;
import io.gitward.proto.InfoRefsRequest;
import io.gitward.proto.InfoRefsResponse;
import io.gitward.proto.PostReceivePackRequest;
import io.gitward.proto.PostReceivePackResponse;
import io.gitward.proto.PostUploadPackRequest;
import io.gitward.proto.PostUploadPackResponse;
import io.gitward.proto.Repository;
import io.gitward.proto.SmartHttpServiceGrpc;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.zip.GZIPInputStream;

/**
 * Carries one Git HTTP request to the proxy's {@code gitward.SmartHttpService} on behalf of an end user and streams
 * the answer back. Bodies flow in both directions with flow control: the request body is read only as fast as the
 * proxy takes it, and the response is written as it arrives. An error before the first response byte becomes an
 * HTTP status; after it, the response is cut so the Git client notices.
 */
final class ProxyExchange {
    private static final int CHUNK = 64 * 1024;

    private final Channel proxy;
    private final Metadata.Key<String> forwardedHeader;
    private final String virtualStorage;
    private final Duration timeout;

    ProxyExchange(Channel proxy, String forwardedHeader, String virtualStorage, Duration timeout) {
        this.proxy = proxy;
        this.forwardedHeader = Metadata.Key.of(forwardedHeader, Metadata.ASCII_STRING_MARSHALLER);
        this.virtualStorage = virtualStorage;
        this.timeout = timeout;
    }

    /** Failure with an HTTP status, before any response byte was sent. */
    static final class Failed extends Exception {
        private final int httpStatus;

        Failed(int httpStatus, String message) {
            super(message, null, false, false);
            this.httpStatus = httpStatus;
        }

        int httpStatus() {
            return httpStatus;
        }
    }

    /** {@code GET info/refs}: the reference advertisement. */
    void advertise(GitRequest request, EndUser user, String gitProtocol, HttpExchange exchange)
            throws Failed, IOException {
        SmartHttpServiceGrpc.SmartHttpServiceBlockingStub stub = SmartHttpServiceGrpc.newBlockingStub(proxy)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers(user)))
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
        InfoRefsRequest message = InfoRefsRequest.newBuilder().setRepository(repository(request))
                .setGitProtocol(gitProtocol).build();
        Iterator<InfoRefsResponse> body;
        InfoRefsResponse first;
        try {
            body = request.push() ? stub.infoRefsReceivePack(message) : stub.infoRefsUploadPack(message);
            // The first message decides the status: an error before any data is an HTTP error.
            first = body.hasNext() ? body.next() : InfoRefsResponse.getDefaultInstance();
        } catch (StatusRuntimeException e) {
            throw failed(e.getStatus());
        }
        exchange.getResponseHeaders().set("Content-Type", "application/x-" + request.service() + "-advertisement");
        noCache(exchange);
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        String line = "# service=" + request.service() + "\n";
        out.write(String.format("%04x%s0000", line.length() + 4, line).getBytes(StandardCharsets.US_ASCII));
        first.getData().writeTo(out);
        try {
            while (body.hasNext()) {
                body.next().getData().writeTo(out);
            }
        } catch (StatusRuntimeException e) {
            throw new IOException("advertisement of " + request.repository() + " cut: " + e.getStatus().getCode(), e);
        }
        out.flush();
    }

    /** {@code POST git-upload-pack} or {@code git-receive-pack}: one round of the exchange. */
    void post(GitRequest request, EndUser user, String gitProtocol, HttpExchange exchange) throws Failed, IOException {
        SmartHttpServiceGrpc.SmartHttpServiceStub stub = SmartHttpServiceGrpc.newStub(proxy)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers(user)))
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
        Repository repository = repository(request);
        if (request.push()) {
            relay(exchange, request, stub::postReceivePack, (first, data) -> PostReceivePackRequest.newBuilder()
                    .setRepository(first ? repository : Repository.getDefaultInstance()).setGitProtocol(first ? gitProtocol : "")
                    .setData(data).build(), PostReceivePackResponse::getData);
        } else {
            relay(exchange, request, stub::postUploadPack, (first, data) -> PostUploadPackRequest.newBuilder()
                    .setRepository(first ? repository : Repository.getDefaultInstance()).setGitProtocol(first ? gitProtocol : "")
                    .setData(data).build(), PostUploadPackResponse::getData);
        }
    }

    private <Q, R> void relay(HttpExchange exchange, GitRequest request,
            Function<StreamObserver<R>, StreamObserver<Q>> call, BiFunction<Boolean, ByteString, Q> message,
            Function<R, ByteString> dataOf) throws Failed, IOException {
        ResponseRelay<Q, R> relay = new ResponseRelay<>(exchange, request.service(), dataOf);
        StreamObserver<Q> requests = call.apply(relay);
        long deadline = System.nanoTime() + timeout.toNanos();
        String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
        try (InputStream body = "gzip".equalsIgnoreCase(encoding) ? new GZIPInputStream(exchange.getRequestBody())
                : exchange.getRequestBody()) {
            byte[] buffer = new byte[CHUNK];
            boolean first = true;
            for (int read; (read = body.read(buffer)) >= 0; ) {
                if (read == 0) {
                    continue;
                }
                if (!relay.awaitReady(deadline)) {
                    break;
                }
                requests.onNext(message.apply(first, ByteString.copyFrom(buffer, 0, read)));
                first = false;
            }
            if (first && !relay.done.isDone()) {
                requests.onNext(message.apply(true, ByteString.EMPTY));
            }
            requests.onCompleted();
        } catch (IOException e) {
            // The user went away mid-request: cancel, so the proxy aborts the write on every replica.
            requests.onError(Status.CANCELLED.withDescription("the Git client disconnected").asRuntimeException());
            throw e;
        }
        relay.await(deadline);
    }

    private Repository repository(GitRequest request) {
        return Repository.newBuilder().setStorageName(virtualStorage).setRelativePath(request.repository()).build();
    }

    private Metadata headers(EndUser user) {
        Metadata headers = new Metadata();
        headers.put(forwardedHeader, user.forwardHeader());
        return headers;
    }

    static void noCache(HttpExchange exchange) {
        exchange.getResponseHeaders().set("Cache-Control", "no-cache, max-age=0, must-revalidate");
        exchange.getResponseHeaders().set("Pragma", "no-cache");
        exchange.getResponseHeaders().set("Expires", "Fri, 01 Jan 1980 00:00:00 GMT");
    }

    static Failed failed(Status status) {
        String description = status.getDescription() == null ? "" : ": " + status.getDescription();
        return new Failed(HttpStatuses.of(status), status.getCode() + description);
    }

    /** Writes response messages to the HTTP response as they arrive and lets the sender wait for flow control. */
    private static final class ResponseRelay<Q, R> implements ClientResponseObserver<Q, R> {
        private final HttpExchange exchange;
        private final String service;
        private final Function<R, ByteString> dataOf;
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private final Object readiness = new Object();
        private volatile ClientCallStreamObserver<Q> call;
        private volatile boolean headersSent;

        ResponseRelay(HttpExchange exchange, String service, Function<R, ByteString> dataOf) {
            this.exchange = exchange;
            this.service = service;
            this.dataOf = dataOf;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<Q> requestStream) {
            call = requestStream;
            requestStream.setOnReadyHandler(() -> {
                synchronized (readiness) {
                    readiness.notifyAll();
                }
            });
        }

        /** Waits until the proxy takes more request data; false when the call already ended. */
        boolean awaitReady(long deadlineNanos) throws IOException {
            synchronized (readiness) {
                while (!call.isReady() && !done.isDone()) {
                    long left = deadlineNanos - System.nanoTime();
                    if (left <= 0) {
                        throw new IOException("request timed out while sending the body");
                    }
                    try {
                        readiness.wait(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 1000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted");
                    }
                }
            }
            return !done.isDone();
        }

        @Override
        public void onNext(R response) {
            try {
                if (!headersSent) {
                    exchange.getResponseHeaders().set("Content-Type", "application/x-" + service + "-result");
                    noCache(exchange);
                    exchange.sendResponseHeaders(200, 0);
                    headersSent = true;
                }
                dataOf.apply(response).writeTo(exchange.getResponseBody());
            } catch (IOException e) {
                call.cancel("the Git client went away", e);
                done.completeExceptionally(e);
            }
        }

        @Override
        public void onError(Throwable error) {
            done.completeExceptionally(error);
            synchronized (readiness) {
                readiness.notifyAll();
            }
        }

        @Override
        public void onCompleted() {
            done.complete(null);
            synchronized (readiness) {
                readiness.notifyAll();
            }
        }

        void await(long deadlineNanos) throws Failed, IOException {
            try {
                done.get(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                Status status = Status.fromThrowable(e.getCause());
                if (!headersSent) {
                    throw failed(status);
                }
                throw new IOException(service + " cut after the response started: " + status.getCode(), e.getCause());
            } catch (TimeoutException e) {
                call.cancel("gateway request timeout", null);
                if (!headersSent) {
                    throw new Failed(504, "request timed out");
                }
                throw new IOException(service + " timed out");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                call.cancel("gateway stopping", e);
                throw new IOException("interrupted");
            }
            if (!headersSent) {
                exchange.sendResponseHeaders(200, -1);
            }
            exchange.getResponseBody().flush();
        }
    }
}
