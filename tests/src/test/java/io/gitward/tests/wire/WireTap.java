package io.gitward.tests.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Records what a node receives on each connection its gRPC listeners accept: every byte after TLS decryption (the
 * inbound bytes as the node's HTTP/2 stack gets them), and their decoding (every header block, every gRPC message),
 * for calls that authorization later refuses as much as for the others. Installed through the runtime's
 * accepted-connection test hook while the pipeline is empty; it steps aside on the first bytes, once gRPC has put
 * its TLS handler in place, so the recorder sits right behind TLS and in front of everything else.
 */
final class WireTap {
    private final WireJournal.Writer journal;
    private final AtomicInteger connections = new AtomicInteger();

    WireTap(WireJournal.Writer journal) {
        this.journal = journal;
    }

    /** The accepted-connection hook. */
    void install(SocketChannel child) {
        String id = "c" + connections.incrementAndGet();
        child.pipeline().addFirst("wire-tap-locator", new Locator(id));
    }

    /** First in the pipeline: on the first bytes, places a {@link Recorder} right after TLS (or here) and leaves. */
    private final class Locator extends ChannelInboundHandlerAdapter {
        private final String id;

        Locator(String id) {
            this.id = id;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            SslHandler tls = ctx.pipeline().get(SslHandler.class);
            String origin = (tls != null ? "tls" : "plaintext") + " " + ctx.channel().localAddress() + " from "
                    + ctx.channel().remoteAddress();
            journal.opened(id, origin);
            Recorder recorder = new Recorder(id);
            if (tls != null) {
                ctx.pipeline().addAfter(ctx.pipeline().context(tls).name(), "wire-recorder", recorder);
            } else {
                if (msg instanceof ByteBuf bytes && bytes.isReadable() && bytes.getByte(bytes.readerIndex()) == 0x16) {
                    journal.problem(id, "a TLS handshake arrived but no TLS handler is in the pipeline yet: the recorder"
                            + " would see ciphertext");
                }
                ctx.pipeline().addAfter(ctx.name(), "wire-recorder", recorder);
            }
            ctx.fireChannelRead(msg);
            ctx.pipeline().remove(this);
        }
    }

    /** Journals each decrypted inbound buffer and feeds the connection's HTTP/2 decoder; passes everything on. */
    private final class Recorder extends ChannelInboundHandlerAdapter {
        private final String id;
        private final Http2Decoder decoder;

        Recorder(String id) {
            this.id = id;
            this.decoder = new Http2Decoder(true, journal.listener(id));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof ByteBuf buffer) {
                    byte[] bytes = ByteBufUtil.getBytes(buffer);
                    journal.raw(id, bytes);
                    decoder.feed(bytes);
                } else {
                    journal.problem(id, "not bytes: " + msg.getClass().getName());
                }
            } catch (RuntimeException e) {
                // Recording must never change what the node does; the test fails on the problem instead.
                journal.problem(id, "recorder failed: " + e);
            }
            ctx.fireChannelRead(msg);
        }
    }
}
