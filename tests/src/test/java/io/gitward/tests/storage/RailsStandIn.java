package io.gitward.tests.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.gitward.security.x509.Pem;
import io.gitward.tests.security.TestPki;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * A Rails-like access-check endpoint for tests: a real HTTPS server on loopback (the JDK's own TLS, a certificate
 * from the test PKI, client certificates required and checked against the test roots) that records each request
 * (the caller's SPIFFE ID from its certificate, the JSON body) and answers as the current {@link Mode} says.
 * It can be stopped and started again on the same port, with the same or another certificate.
 */
public final class RailsStandIn implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How to answer. */
    public sealed interface Mode {
        record Allow() implements Mode {
        }

        record Deny(String message) implements Mode {
        }

        /** Denies callers with the given SPIFFE IDs, allows everyone else. */
        record DenyOnly(java.util.Set<String> callers, String message) implements Mode {
        }

        record Status(int code, String body) implements Mode {
        }

        /** No answer until the stand-in is closed or the mode changes. */
        record Hang() implements Mode {
        }
    }

    /** One request as received: who called (URI SAN and serial of its certificate) and what it sent. */
    public record Request(String caller, String serial, String method, String path, String contentType, JsonNode body) {
    }

    private final Path roots;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicReference<Mode> mode = new AtomicReference<>(new Mode.Allow());
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private volatile CountDownLatch hanging = new CountDownLatch(1);
    private HttpsServer server;
    private int port;

    private RailsStandIn(Path roots) {
        this.roots = roots;
    }

    /** Starts on a port of its own, presenting {@code identity}'s certificate. */
    public static RailsStandIn start(Path roots, TestPki.NodeFiles identity) throws Exception {
        RailsStandIn standIn = new RailsStandIn(roots);
        standIn.listen(0, identity);
        return standIn;
    }

    /** Starts again (after {@link #stop()}) on the same port with {@code identity}'s certificate. */
    public void restart(TestPki.NodeFiles identity) throws Exception {
        listen(port, identity);
    }

    private synchronized void listen(int onPort, TestPki.NodeFiles identity) throws Exception {
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keyManagers(identity), trustManagers(), null);
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters parameters) {
                SSLParameters ssl = tls.getDefaultSSLParameters();
                ssl.setNeedClientAuth(true);
                parameters.setSSLParameters(ssl);
            }
        });
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
        port = server.getAddress().getPort();
    }

    /** Stops listening and closes every connection: callers meet a refused connection. */
    public synchronized void stop() {
        if (server != null) {
            hanging.countDown();
            server.stop(0);
            server = null;
        }
    }

    public String url() {
        return "https://127.0.0.1:" + port + "/api/v4/internal/allowed";
    }

    public void answer(Mode next) {
        mode.set(next);
        CountDownLatch previous = hanging;
        hanging = new CountDownLatch(1);
        previous.countDown();
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public void clearRequests() {
        requests.clear();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Certificate[] chain = ((HttpsExchange) exchange).getSSLSession().getPeerCertificates();
            X509Certificate leaf = (X509Certificate) chain[0];
            requests.add(new Request(spiffeId(leaf), io.gitward.security.x509.Certificates.serialHex(leaf),
                    exchange.getRequestMethod(),
                    exchange.getRequestURI().getPath(), exchange.getRequestHeaders().getFirst("Content-Type"),
                    body.length == 0 ? null : JSON.readTree(body)));
            Mode current = mode.get();
            if (current instanceof Mode.DenyOnly only && only.callers().contains(spiffeId(leaf))) {
                current = new Mode.Deny(only.message());
            }
            if (current instanceof Mode.Deny deny) {
                send(exchange, 200, JSON.createObjectNode().put("status", false).put("message", deny.message()).toString());
            } else if (current instanceof Mode.Status status) {
                send(exchange, status.code(), status.body());
            } else if (current instanceof Mode.Hang) {
                try {
                    hanging.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } else {
                send(exchange, 200, "{\"status\": true}");
            }
        }
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static String spiffeId(X509Certificate certificate) {
        try {
            for (List<?> name : certificate.getSubjectAlternativeNames()) {
                if (((Integer) name.get(0)) == 6) {
                    return (String) name.get(1);
                }
            }
            return certificate.getSubjectX500Principal().getName();
        } catch (java.security.cert.CertificateParsingException e) {
            return "unparseable: " + e.getMessage();
        }
    }

    private static javax.net.ssl.KeyManager[] keyManagers(TestPki.NodeFiles identity) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        char[] password = "stand-in".toCharArray();
        store.setKeyEntry("rails", Pem.readPrivateKey(identity.key(), null), password,
                Pem.readCertificates(identity.chain()).toArray(Certificate[]::new));
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(store, password);
        return factory.getKeyManagers();
    }

    private javax.net.ssl.TrustManager[] trustManagers() throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        int index = 0;
        for (X509Certificate root : Pem.readCertificates(roots)) {
            store.setCertificateEntry("root-" + index++, root);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        return factory.getTrustManagers();
    }

    @Override
    public void close() {
        stop();
        executor.shutdownNow();
    }
}
