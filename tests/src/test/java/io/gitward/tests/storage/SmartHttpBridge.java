package io.gitward.tests.storage;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.gitward.proto.InfoRefsRequest;
import io.gitward.proto.InfoRefsResponse;
import io.gitward.proto.PostReceivePackRequest;
import io.gitward.proto.PostReceivePackResponse;
import io.gitward.proto.PostUploadPackRequest;
import io.gitward.proto.PostUploadPackResponse;
import io.gitward.proto.Repository;
import io.gitward.proto.SmartHttpServiceGrpc;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.zip.GZIPInputStream;

/**
 * A minimal Git smart-HTTP gateway for tests, on loopback: turns {@code GET .../info/refs?service=...} and
 * {@code POST .../git-upload-pack|git-receive-pack} into the storage node's SmartHttpService calls (as the
 * proxy would), streaming bodies both ways, so JGit's own HTTP transport client can clone, fetch and push.
 * URL path = relative path of a repository on {@code storage}.
 */
public final class SmartHttpBridge implements AutoCloseable {
    private static final int CHUNK = 32 * 1024;

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Channel channel;
    private final String storage;
    private final java.util.Set<String> protocolsSeen = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private SmartHttpBridge(Channel channel, String storage) throws IOException {
        this.channel = channel;
        this.storage = storage;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public static SmartHttpBridge start(Channel channel, String storage) throws IOException {
        return new SmartHttpBridge(channel, storage);
    }

    /** The clone URL of a repository. */
    public String url(String relativePath) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + relativePath;
    }

    /** "GET version=2", "POST v0", ...: which protocol each kind of request asked for. */
    public java.util.Set<String> protocolsSeen() {
        return protocolsSeen;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath().substring(1);
            String query = exchange.getRequestURI().getQuery();
            String protocol = exchangeProtocol(exchange);
            protocolsSeen.add(exchange.getRequestMethod() + " " + (protocol.isEmpty() ? "v0" : protocol));
            if (exchange.getRequestMethod().equals("GET") && path.endsWith("/info/refs") && query != null) {
                String service = query.replace("service=", "");
                infoRefs(exchange, repository(path, "/info/refs"), service, protocol);
            } else if (exchange.getRequestMethod().equals("POST") && path.endsWith("/git-upload-pack")) {
                post(exchange, "git-upload-pack", repository(path, "/git-upload-pack"),
                        SmartHttpServiceGrpc.newStub(channel)::postUploadPack,
                        (repository, data) -> PostUploadPackRequest.newBuilder().setRepository(repository)
                                .setGitProtocol(protocol).setData(data).build(),
                        PostUploadPackResponse::getData);
            } else if (exchange.getRequestMethod().equals("POST") && path.endsWith("/git-receive-pack")) {
                post(exchange, "git-receive-pack", repository(path, "/git-receive-pack"),
                        SmartHttpServiceGrpc.newStub(channel)::postReceivePack,
                        (repository, data) -> PostReceivePackRequest.newBuilder().setRepository(repository)
                                .setGitProtocol(protocol).setData(data).build(),
                        PostReceivePackResponse::getData);
            } else {
                text(exchange, 404, "not a smart HTTP URL");
            }
        }
    }

    private static String exchangeProtocol(HttpExchange exchange) {
        String protocol = exchange.getRequestHeaders().getFirst("Git-Protocol");
        return protocol == null ? "" : protocol;
    }

    private Repository repository(String path, String suffix) {
        return Requests.repository(storage, path.substring(0, path.length() - suffix.length()));
    }

    private void infoRefs(HttpExchange exchange, Repository repository, String service, String protocol)
            throws IOException {
        InfoRefsRequest request = InfoRefsRequest.newBuilder().setRepository(repository).setGitProtocol(protocol).build();
        SmartHttpServiceGrpc.SmartHttpServiceBlockingStub stub = SmartHttpServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS);
        Iterator<InfoRefsResponse> body;
        if (service.equals("git-upload-pack")) {
            body = stub.infoRefsUploadPack(request);
        } else if (service.equals("git-receive-pack")) {
            body = stub.infoRefsReceivePack(request);
        } else {
            text(exchange, 403, "unknown service " + service);
            return;
        }
        try {
            // The first message decides the status: an error before any data becomes an HTTP error.
            InfoRefsResponse first = body.hasNext() ? body.next() : InfoRefsResponse.getDefaultInstance();
            exchange.getResponseHeaders().set("Content-Type", "application/x-" + service + "-advertisement");
            exchange.getResponseHeaders().set("Cache-Control", "no-cache");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            String line = "# service=" + service + "\n";
            out.write(String.format("%04x%s0000", line.length() + 4, line).getBytes(StandardCharsets.UTF_8));
            first.getData().writeTo(out);
            while (body.hasNext()) {
                body.next().getData().writeTo(out);
            }
        } catch (StatusRuntimeException e) {
            text(exchange, httpStatus(e.getStatus()), e.getStatus().getCode() + ": " + e.getStatus().getDescription());
        }
    }

    private <Q, R> void post(HttpExchange exchange, String service, Repository repository,
            Function<StreamObserver<R>, StreamObserver<Q>> call, BiFunction<Repository, ByteString, Q> message,
            Function<R, ByteString> dataOf) throws IOException {
        CompletableFuture<Void> done = new CompletableFuture<>();
        OutputStream out = exchange.getResponseBody();
        boolean[] headersSent = {false};
        StreamObserver<Q> requests = call.apply(new StreamObserver<>() {
            @Override
            public void onNext(R response) {
                try {
                    if (!headersSent[0]) {
                        exchange.getResponseHeaders().set("Content-Type", "application/x-" + service + "-result");
                        exchange.sendResponseHeaders(200, 0);
                        headersSent[0] = true;
                    }
                    dataOf.apply(response).writeTo(out);
                } catch (IOException e) {
                    done.completeExceptionally(e);
                }
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }

            @Override
            public void onCompleted() {
                done.complete(null);
            }
        });
        String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
        try (InputStream body = "gzip".equals(encoding) ? new GZIPInputStream(exchange.getRequestBody())
                : exchange.getRequestBody()) {
            byte[] buffer = new byte[CHUNK];
            boolean first = true;
            for (int read; (read = body.read(buffer)) >= 0; ) {
                requests.onNext(message.apply(first ? repository : Repository.getDefaultInstance(),
                        ByteString.copyFrom(buffer, 0, read)));
                first = false;
            }
            if (first) {
                requests.onNext(message.apply(repository, ByteString.EMPTY));
            }
            requests.onCompleted();
        }
        try {
            done.get(120, TimeUnit.SECONDS);
            if (!headersSent[0]) {
                exchange.sendResponseHeaders(200, -1);
            }
        } catch (Exception e) {
            Status status = Status.fromThrowable(e.getCause() == null ? e : e.getCause());
            if (!headersSent[0]) {
                text(exchange, httpStatus(status), status.getCode() + ": " + status.getDescription());
            }
        }
    }

    private static int httpStatus(Status status) {
        return switch (status.getCode()) {
            case NOT_FOUND -> 404;
            case PERMISSION_DENIED, UNAUTHENTICATED -> 403;
            case INVALID_ARGUMENT, FAILED_PRECONDITION -> 400;
            case RESOURCE_EXHAUSTED -> 413;
            default -> 500;
        };
    }

    private static void text(HttpExchange exchange, int status, String message) throws IOException {
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
