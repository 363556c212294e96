package io.gitward.gateway;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.gitward.security.server.ListenAddress;
import io.gitward.security.server.NodeStartException;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The gateway's HTTPS listener: HTTP/1.1 over TLS 1.3 or 1.2, client certificates demanded (or requested) in the
 * handshake, a bounded pool of workers. The TLS context follows rotation and revocation by itself.
 */
final class GitHttpsListener implements AutoCloseable {
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final HttpsServer server;
    private final ExecutorService workers;

    private GitHttpsListener(HttpsServer server, ExecutorService workers) {
        this.server = server;
        this.workers = workers;
    }

    static GitHttpsListener open(ListenAddress address, SSLContext tls, boolean requireClientCertificate, int workers,
            SmartHttpHandler handler) throws NodeStartException {
        HttpsServer server;
        try {
            server = HttpsServer.create(address.toSocketAddress(), 128);
        } catch (IOException e) {
            String why = e instanceof BindException ? "address already in use or not local (choose another port, or 0)"
                    : e.getMessage();
            throw new NodeStartException("gateway.listen: cannot bind " + address.host() + ":" + address.port() + ": "
                    + why, e);
        }
        server.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters parameters) {
                SSLParameters ssl = tls.getDefaultSSLParameters();
                ssl.setProtocols(PROTOCOLS);
                // Git speaks HTTP/1.1 here; never let ALPN pick something this listener does not serve.
                ssl.setApplicationProtocols(new String[] {"http/1.1"});
                if (requireClientCertificate) {
                    ssl.setNeedClientAuth(true);
                } else {
                    ssl.setWantClientAuth(true);
                }
                parameters.setSSLParameters(ssl);
            }
        });
        AtomicInteger threads = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(workers, runnable -> {
            Thread thread = new Thread(runnable, "gitward-gateway-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(pool);
        server.createContext("/", handler);
        server.start();
        return new GitHttpsListener(server, pool);
    }

    InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(1);
        workers.shutdownNow();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
