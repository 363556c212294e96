package io.gitward.tests.edge;

import io.gitward.tests.security.TestPki;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * Debian's nginx as a TLS-terminating edge in front of the proxy, started by the test as a real process on
 * loopback: it verifies end users' client certificates against the cluster's CA, calls the proxy with
 * {@code grpc_pass} over mTLS with its own {@code edge} certificate ({@code grpc_ssl_verify on}), and sets the
 * forwarded client-certificate header from {@code $ssl_client_escaped_cert}. Each {@link Listener} is one
 * {@code server} block with its own policy.
 */
final class Nginx implements AutoCloseable {
    /** One server block: how it treats client certificates and what it does with the forwarded header. */
    enum Listener {
        /** {@code ssl_verify_client on}; sets the header from the verified certificate. */
        VERIFIED("on", "$ssl_client_escaped_cert", false, PROXY_NAME),
        /** {@code ssl_verify_client optional}: users without a certificate get through TLS; the header is then empty. */
        OPTIONAL("optional", "$ssl_client_escaped_cert", false, PROXY_NAME),
        /** A misconfiguration that silently drops the header (an empty value is not sent). */
        DROPS_HEADER("on", "\"\"", false, PROXY_NAME),
        /** As VERIFIED, but {@code grpc_ssl_trusted_certificate} is another CA: the proxy's certificate cannot verify. */
        FOREIGN_UPSTREAM_CA("on", "$ssl_client_escaped_cert", true, PROXY_NAME),
        /** As VERIFIED, but {@code grpc_ssl_name} expects a name the proxy's certificate does not carry. */
        WRONG_UPSTREAM_NAME("on", "$ssl_client_escaped_cert", false, "proxy-1.elsewhere.invalid");

        private final String verifyClient;
        private final String headerValue;
        private final boolean foreignUpstreamCa;
        private final String upstreamName;

        Listener(String verifyClient, String headerValue, boolean foreignUpstreamCa, String upstreamName) {
            this.verifyClient = verifyClient;
            this.headerValue = headerValue;
            this.foreignUpstreamCa = foreignUpstreamCa;
            this.upstreamName = upstreamName;
        }
    }

    /**
     * How nginx names the proxy it expects: nginx checks chain and a DNS name/IP, not a SPIFFE URI SAN, so the
     * proxy's identity is approximated by the {@code localhost} DNS SAN that every locally issued node certificate
     * carries (design.md pins the SPIFFE ID; nginx cannot).
     */
    static final String PROXY_NAME = "localhost";

    private final Process process;
    private final Map<Listener, Integer> ports;
    private final Path errorLog;

    private Nginx(Process process, Map<Listener, Integer> ports, Path errorLog) {
        this.process = process;
        this.ports = ports;
        this.errorLog = errorLog;
    }

    /**
     * @param edge       nginx's own key and chain (role {@code edge})
     * @param roots      the cluster's CA bundle: for users' certificates and for the proxy's
     * @param foreignRoots another CA's bundle, trusted for the proxy by {@link Listener#FOREIGN_UPSTREAM_CA} only
     * @param proxyPort  the proxy's TLS gRPC port on 127.0.0.1
     */
    static Nginx start(Path dir, TestPki.NodeFiles edge, Path roots, Path foreignRoots, int proxyPort, String header)
            throws Exception {
        Files.createDirectories(dir.resolve("tmp"));
        Map<Listener, Integer> ports = new LinkedHashMap<>();
        List<String> servers = new ArrayList<>();
        for (Listener listener : Listener.values()) {
            int port = freePort();
            ports.put(listener, port);
            servers.add("""
                      server {
                        listen 127.0.0.1:%d ssl http2;
                        ssl_certificate %s;
                        ssl_certificate_key %s;
                        ssl_protocols TLSv1.2 TLSv1.3;
                        ssl_client_certificate %s;
                        ssl_verify_client %s;
                        ssl_verify_depth 3;
                        location / {
                          grpc_pass grpcs://127.0.0.1:%d;
                          grpc_ssl_certificate %s;
                          grpc_ssl_certificate_key %s;
                          grpc_ssl_trusted_certificate %s;
                          grpc_ssl_verify on;
                          grpc_ssl_verify_depth 3;
                          grpc_ssl_name %s;
                          grpc_ssl_protocols TLSv1.2 TLSv1.3;
                          grpc_set_header %s %s;
                        }
                      }
                    """.formatted(port, edge.chain(), edge.key(), roots, listener.verifyClient, proxyPort, edge.chain(),
                    edge.key(), listener.foreignUpstreamCa ? foreignRoots : roots, listener.upstreamName, header,
                    listener.headerValue));
        }
        Path errorLog = dir.resolve("error.log");
        String config = """
                daemon off;
                worker_processes 1;
                pid %s;
                error_log %s info;
                events { worker_connections 256; }
                http {
                  access_log %s;
                  client_body_temp_path %s/body;
                  proxy_temp_path %s/proxy;
                  fastcgi_temp_path %s/fastcgi;
                  uwsgi_temp_path %s/uwsgi;
                  scgi_temp_path %s/scgi;
                %s}
                """.formatted(dir.resolve("nginx.pid"), errorLog, dir.resolve("access.log"), dir.resolve("tmp"),
                dir.resolve("tmp"), dir.resolve("tmp"), dir.resolve("tmp"), dir.resolve("tmp"), String.join("", servers));
        Path file = Files.writeString(dir.resolve("nginx.conf"), config);
        Process process = new ProcessBuilder("nginx", "-p", dir.toString(), "-e", errorLog.toString(), "-c", file.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
        Nginx nginx = new Nginx(process, ports, errorLog);
        try {
            Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> {
                if (!process.isAlive()) {
                    throw new AssertionError("nginx exited " + process.exitValue() + ": " + Files.readString(
                            dir.resolve("nginx.out")) + Files.readString(errorLog));
                }
                return ports.values().stream().allMatch(Nginx::accepting);
            });
        } catch (RuntimeException | Error e) {
            nginx.close();
            throw e;
        }
        return nginx;
    }

    int port(Listener listener) {
        return ports.get(listener);
    }

    String errorLog() throws IOException {
        return Files.readString(errorLog);
    }

    private static boolean accepting(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
