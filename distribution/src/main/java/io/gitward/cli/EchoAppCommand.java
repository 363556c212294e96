package io.gitward.cli;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gitward echo-app}: a tiny plaintext HTTP/1.1 app that knows nothing of TLS, for trying the sidecar (compose
 * profile {@code sidecar}): every request is answered with the identity the sidecar put in its header.
 */
@Command(name = "echo-app", mixinStandardHelpOptions = true, hidden = true,
        description = "A plaintext HTTP/1.1 demo app: answers every request with the caller identity header it received.")
final class EchoAppCommand implements Callable<Integer> {
    @Option(names = "--listen", defaultValue = "127.0.0.1:8080", paramLabel = "HOST:PORT", description = "Where to listen.")
    String listen;

    @Option(names = "--identity-header", defaultValue = "x-gitward-peer-identity", paramLabel = "NAME")
    String identityHeader;

    @Override
    public Integer call() throws Exception {
        int colon = listen.lastIndexOf(':');
        HttpServer server = HttpServer.create(new InetSocketAddress(listen.substring(0, colon),
                Integer.parseInt(listen.substring(colon + 1))), 64);
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            String identity = exchange.getRequestHeaders().getFirst(identityHeader);
            byte[] body = ("hello " + (identity == null ? "anonymous" : identity) + ": " + exchange.getRequestMethod() + " "
                    + exchange.getRequestURI().getPath() + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("content-type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        System.out.println("echo-app: plaintext HTTP/1.1 on " + listen);
        new CountDownLatch(1).await();
        return 0;
    }
}
