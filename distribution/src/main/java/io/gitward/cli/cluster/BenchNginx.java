package io.gitward.cli.cluster;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's nginx as the peer of the Gitward proxy in {@code gitward bench}: the same TLS work on both sides — it
 * verifies the caller's client certificate against the cluster's bundle and calls one storage node with
 * {@code grpc_pass} over mTLS with a certificate of its own ({@code grpc_ssl_verify on}), over an {@code upstream}
 * with {@code keepalive} so upstream connections are reused. One worker per CPU, no access log.
 */
final class BenchNginx implements AutoCloseable {
    private final Process process;
    private final int port;

    private BenchNginx(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * @param identityDir nginx's identity directory (key, chain, bundle; a {@code proxy} certificate storage accepts)
     * @param upstream    the storage node's TLS address (127.0.0.1:PORT)
     * @param cpus        {@code taskset -c} CPUs, or null
     */
    static BenchNginx start(Path dir, Path identityDir, String upstream, String cpus) throws ClusterException,
            InterruptedException {
        try {
            Files.createDirectories(dir.resolve("tmp"));
            int port = freePort();
            Path chain = ClusterLayout.chain(identityDir);
            Path key = ClusterLayout.key(identityDir);
            Path roots = ClusterLayout.roots(identityDir);
            String config = """
                    daemon off;
                    master_process on;
                    worker_processes %d;
                    pid %s;
                    error_log %s warn;
                    events { worker_connections 1024; }
                    http {
                      access_log off;
                      client_body_temp_path %s/body;
                      proxy_temp_path %s/proxy;
                      fastcgi_temp_path %s/fastcgi;
                      uwsgi_temp_path %s/uwsgi;
                      scgi_temp_path %s/scgi;
                      keepalive_requests 100000000;
                      keepalive_timeout 600s;
                      upstream storage {
                        server %s;
                        keepalive 32;
                        keepalive_requests 100000000;
                        keepalive_timeout 600s;
                      }
                      server {
                        listen 127.0.0.1:%d ssl http2;
                        ssl_certificate %s;
                        ssl_certificate_key %s;
                        ssl_protocols TLSv1.2 TLSv1.3;
                        ssl_client_certificate %s;
                        ssl_verify_client on;
                        ssl_verify_depth 3;
                        location / {
                          grpc_pass grpcs://storage;
                          grpc_ssl_certificate %s;
                          grpc_ssl_certificate_key %s;
                          grpc_ssl_trusted_certificate %s;
                          grpc_ssl_verify on;
                          grpc_ssl_verify_depth 3;
                          grpc_ssl_name localhost;
                          grpc_ssl_protocols TLSv1.2 TLSv1.3;
                          grpc_ssl_session_reuse on;
                          grpc_read_timeout 600s;
                          grpc_send_timeout 600s;
                        }
                      }
                    }
                    """.formatted(Runtime.getRuntime().availableProcessors(), dir.resolve("nginx.pid"),
                    dir.resolve("error.log"), dir.resolve("tmp"), dir.resolve("tmp"), dir.resolve("tmp"),
                    dir.resolve("tmp"), dir.resolve("tmp"), upstream, port, chain, key, roots, chain, key, roots);
            Path file = Files.writeString(dir.resolve("nginx.conf"), config);
            List<String> command = new ArrayList<>();
            if (cpus != null) {
                command.addAll(List.of("taskset", "-c", cpus));
            }
            command.addAll(List.of("nginx", "-p", dir.toString(), "-e", dir.resolve("error.log").toString(), "-c",
                    file.toString()));
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("nginx.out").toFile()).start();
            BenchNginx nginx = new BenchNginx(process, port);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!accepting(port)) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    nginx.close();
                    throw new ClusterException("nginx did not start: " + Files.readString(dir.resolve("nginx.out"))
                            + (Files.exists(dir.resolve("error.log")) ? Files.readString(dir.resolve("error.log")) : ""));
                }
                Thread.sleep(50);
            }
            return nginx;
        } catch (IOException e) {
            throw new ClusterException("cannot start nginx (is it installed? apt-get install nginx): " + e.getMessage(), e);
        }
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    static String version() {
        try {
            Process process = new ProcessBuilder("nginx", "-v").redirectErrorStream(true).start();
            String text = new String(process.getInputStream().readAllBytes()).strip();
            process.waitFor(10, TimeUnit.SECONDS);
            return text.replace("nginx version: ", "");
        } catch (IOException | InterruptedException e) {
            return "unavailable (" + e.getMessage() + ")";
        }
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
