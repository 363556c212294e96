package io.gitward.security.authz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gitward.security.audit.LimitCounters;
import io.gitward.security.testing.TestPki;
import io.gitward.security.tls.HandshakeFailures;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The connection limit over real loopback sockets and TLS handshakes: at the limit, the oldest connection that never
 * finished its handshake is closed to admit a newcomer, so silent peers cannot lock out peers that handshake; when
 * every connection has finished its handshake, a newcomer is refused. Both outcomes are counted.
 */
class ConnectionRegistryTest {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private static final long HANDSHAKE_MILLIS = 3000;
    private final LimitCounters counters = new LimitCounters();
    private final HandshakeFailures failures = new HandshakeFailures();
    private final List<Socket> sockets = new ArrayList<>();
    private SslContext serverTls;
    private SSLContext clientTls;
    private ConnectionRegistry registry;
    private Channel server;

    @BeforeEach
    void tls() throws Exception {
        TestPki.Issued certificate = TestPki.root("registry-test-server");
        serverTls = SslContextBuilder.forServer(certificate.keys().getPrivate(), certificate.certificate())
                .sslProvider(SslProvider.JDK).build();
        clientTls = SSLContext.getInstance("TLS");
        clientTls.init(null, InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
    }

    @AfterEach
    void stop() throws Exception {
        for (Socket socket : sockets) {
            socket.close();
        }
        if (server != null) {
            server.close().sync();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private void listen(int maxConnections) throws InterruptedException {
        listen(maxConnections, true);
    }

    private void listen(int maxConnections, boolean tls) throws InterruptedException {
        registry = new ConnectionRegistry(maxConnections, failures, counters, java.time.Duration.ofMillis(HANDSHAKE_MILLIS));
        server = new ServerBootstrap().group(group).channelFactory(TrackingServerSocketChannel.factory(registry, tls))
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        if (tls) {
                            SslHandler ssl = serverTls.newHandler(channel.alloc());
                            channel.pipeline().addLast(ssl);
                            // Closes without failing the handshake, as grpc-java's handshake timeout does.
                            channel.eventLoop().schedule(() -> {
                                if (!ssl.handshakeFuture().isDone()) {
                                    channel.unsafe().close(channel.unsafe().voidPromise());
                                }
                            }, HANDSHAKE_MILLIS, TimeUnit.MILLISECONDS);
                        }
                    }
                }).bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
    }

    /** A TCP connection that never sends a byte; returns once the node registered it (and set up its TLS). */
    private Socket silent() throws IOException {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port());
        sockets.add(socket);
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> {
            Channel channel = registry.channel(new InetSocketAddress(socket.getLocalAddress(), socket.getLocalPort()));
            return channel != null && channel.isActive();
        });
        return socket;
    }

    private SSLSocket handshake() throws IOException {
        SSLSocket socket = (SSLSocket) clientTls.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port());
        sockets.add(socket);
        socket.setSoTimeout(5000);
        socket.startHandshake();
        return socket;
    }

    private int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    private static boolean closedByServer(Socket socket, int waitMillis) throws IOException {
        socket.setSoTimeout(waitMillis);
        try {
            return socket.getInputStream().read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Test
    void atTheLimitTheOldestUnfinishedHandshakeMakesRoomForANewcomer() throws Exception {
        listen(3);
        Socket first = silent();
        Socket second = silent();
        Socket third = silent();
        assertEquals(3, registry.size());

        SSLSocket newcomer = handshake();

        assertEquals(true, closedByServer(first, 5000), "the oldest silent connection was closed");
        assertEquals(false, closedByServer(second, 300), "the others wait for their handshake timeout");
        assertEquals(false, closedByServer(third, 300));
        assertEquals(true, newcomer.getSession().isValid());
        assertEquals(1, counters.count(LimitCounters.Limit.PENDING_HANDSHAKE_EVICTED));
        assertEquals(0, counters.count(LimitCounters.Limit.MAX_CONNECTIONS));

        assertEquals(true, closedByServer(second, 5000), "the handshake timeout ends the others");
        assertEquals(true, closedByServer(third, 5000));
        Awaitility.await().atMost(5, TimeUnit.SECONDS)
                .until(() -> failures.snapshot().getOrDefault("timeout", 0L) == 2L);
        assertEquals(Map.of("timeout", 2L), failures.snapshot(), "two timeouts; the evicted one is no timeout");
    }

    @Test
    void plaintextConnectionsNeverGiveWay() throws Exception {
        listen(2, false);
        Socket first = silent();
        silent();

        Socket newcomer = new Socket(InetAddress.getLoopbackAddress(), port());
        sockets.add(newcomer);

        assertEquals(true, closedByServer(newcomer, 5000), "no room: the newcomer is closed at once");
        assertEquals(false, closedByServer(first, 300), "a plaintext connection may carry a token-authenticated caller");
        assertEquals(1, counters.count(LimitCounters.Limit.MAX_CONNECTIONS));
        assertEquals(0, counters.count(LimitCounters.Limit.PENDING_HANDSHAKE_EVICTED));
    }

    @Test
    void atTheLimitWithEveryHandshakeFinishedANewcomerIsRefused() throws Exception {
        listen(2);
        handshake();
        handshake();
        Awaitility.await().atMost(5, TimeUnit.SECONDS).until(() -> registry.size() == 2);

        assertThrows(IOException.class, this::handshake, "no room: the newcomer is closed at once");

        assertEquals(1, counters.count(LimitCounters.Limit.MAX_CONNECTIONS));
        assertEquals(0, counters.count(LimitCounters.Limit.PENDING_HANDSHAKE_EVICTED));
        assertEquals(2, registry.size(), "the finished handshakes keep their connections");
    }
}
