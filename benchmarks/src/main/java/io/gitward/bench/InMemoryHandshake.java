package io.gitward.bench;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * One complete TLS handshake between a client and a server engine passing buffers in memory: the CPU cost
 * of the handshake itself (key exchange, signatures, certificate validation), without sockets or gRPC.
 */
final class InMemoryHandshake {
    private static final int MAX_ROUNDS = 100;

    private InMemoryHandshake() {
    }

    static void run(SslContext clientContext, SslContext serverContext) throws SSLException {
        SSLEngine client = clientContext.newEngine(ByteBufAllocator.DEFAULT, "127.0.0.1", 443);
        SSLEngine server = serverContext.newEngine(ByteBufAllocator.DEFAULT);
        try {
            int packet = Math.max(client.getSession().getPacketBufferSize(), server.getSession().getPacketBufferSize());
            ByteBuffer toServer = ByteBuffer.allocate(packet * 4);
            ByteBuffer toClient = ByteBuffer.allocate(packet * 4);
            ByteBuffer application = ByteBuffer.allocate(packet * 4);
            ByteBuffer empty = ByteBuffer.allocate(0);
            client.beginHandshake();
            server.beginHandshake();
            for (int round = 0; round < MAX_ROUNDS; round++) {
                client.wrap(empty, toServer);
                runTasks(client);
                server.wrap(empty, toClient);
                runTasks(server);
                toServer.flip();
                server.unwrap(toServer, application);
                runTasks(server);
                toServer.compact();
                application.clear();
                toClient.flip();
                client.unwrap(toClient, application);
                runTasks(client);
                toClient.compact();
                application.clear();
                if (done(client) && done(server) && toServer.position() == 0 && toClient.position() == 0) {
                    return;
                }
            }
            throw new SSLException("handshake did not finish in " + MAX_ROUNDS + " rounds");
        } finally {
            ReferenceCountUtil.release(client);
            ReferenceCountUtil.release(server);
        }
    }

    private static boolean done(SSLEngine engine) {
        HandshakeStatus status = engine.getHandshakeStatus();
        return status == HandshakeStatus.NOT_HANDSHAKING || status == HandshakeStatus.FINISHED;
    }

    private static void runTasks(SSLEngine engine) {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }
}
