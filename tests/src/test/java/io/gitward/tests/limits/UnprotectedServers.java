package io.gitward.tests.limits;

import io.gitward.tests.security.ProbeCaller;
import io.grpc.Server;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;

/**
 * The positive control: gRPC servers in the test JVM with grpc-java's defaults, i.e. none of the node's limits (no
 * rapid-reset limit, a 120 s handshake timeout). The same attacks must visibly succeed against them, or the
 * attacker's measurements could not tell a protected node from an unprotected one.
 */
final class UnprotectedServers implements AutoCloseable {
    private final Server plaintext;
    private final Server tls;

    private UnprotectedServers(Server plaintext, Server tls) {
        this.plaintext = plaintext;
        this.tls = tls;
    }

    static UnprotectedServers start(ProbeCaller.ClientIdentity serverIdentity) throws IOException {
        HealthStatusManager health = new HealthStatusManager();
        Server plaintext = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(health.getHealthService()).build().start();
        Server tls = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .sslContext(GrpcSslContexts.configure(SslContextBuilder.forServer(serverIdentity.key(),
                        serverIdentity.chain().toArray(new X509Certificate[0]))).build())
                .addService(health.getHealthService()).build().start();
        return new UnprotectedServers(plaintext, tls);
    }

    InetSocketAddress plaintext() {
        return (InetSocketAddress) plaintext.getListenSockets().get(0);
    }

    InetSocketAddress tls() {
        return (InetSocketAddress) tls.getListenSockets().get(0);
    }

    @Override
    public void close() throws InterruptedException {
        plaintext.shutdownNow();
        tls.shutdownNow();
        plaintext.awaitTermination(5, TimeUnit.SECONDS);
        tls.awaitTermination(5, TimeUnit.SECONDS);
    }
}
