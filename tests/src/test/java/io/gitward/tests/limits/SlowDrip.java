package io.gitward.tests.limits;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;

/**
 * Slowloris that keeps talking: connections that send the start of something and then a little more every second,
 * so a timeout reset by any traffic never fires. An HTTP/1.1 request head one header byte at a time, or an HTTP/2
 * connection that only sends PINGs. The node must still end them; the drip records how long each lived.
 */
final class SlowDrip implements AutoCloseable {
    /** What the connection sends first, and then every second. */
    enum Pattern {
        HTTP1_HEAD("GET /healthz HTTP/1.1\r\nHost: node\r\nx-slow: ".getBytes(StandardCharsets.US_ASCII),
                "a".getBytes(StandardCharsets.US_ASCII)),
        HTTP2_PINGS(Http2Frames.preface(), ping());

        private final byte[] opening;
        private final byte[] drip;

        Pattern(byte[] opening, byte[] drip) {
            this.opening = opening;
            this.drip = drip;
        }

        private static byte[] ping() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Http2Frames.ping(out, 42);
            return out.toByteArray();
        }
    }

    /** Connections of one pattern to one listener. */
    static final class Target {
        final String name;
        final InetSocketAddress address;
        final Pattern pattern;
        final int connections;
        final AtomicInteger closedByNode = new AtomicInteger();
        /** Milliseconds from connect to the node's close. */
        final Histogram lived = new Histogram(600_000, 2);
        int stillOpen;

        Target(String name, InetSocketAddress address, Pattern pattern, int connections) {
            this.name = name;
            this.address = address;
            this.pattern = pattern;
            this.connections = connections;
        }

        String describe() {
            return name + " (" + pattern + " x" + connections + "): closed-by-node=" + closedByNode + " lived-ms p50="
                    + lived.getValueAtPercentile(50) + " max=" + lived.getMaxValue() + " still-open=" + stillOpen;
        }
    }

    private record Held(Target target, long openedAt) {
    }

    private final List<Target> targets;
    private final Selector selector;
    private final ByteBuffer scratch = ByteBuffer.allocate(16_384);

    SlowDrip(List<Target> targets) throws IOException {
        this.targets = List.copyOf(targets);
        this.selector = Selector.open();
    }

    List<Target> targets() {
        return targets;
    }

    /** Opens every connection, then drips once a second until {@code until} (System.nanoTime). */
    void run(long until) throws IOException {
        for (Target target : targets) {
            for (int i = 0; i < target.connections; i++) {
                SocketChannel channel = SocketChannel.open();
                channel.bind(new InetSocketAddress(Endpoint.ATTACKER, 0));
                channel.connect(target.address);
                channel.write(ByteBuffer.wrap(target.pattern.opening));
                channel.configureBlocking(false);
                channel.register(selector, SelectionKey.OP_READ, new Held(target, System.nanoTime()));
            }
        }
        long nextDrip = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < until && !Thread.currentThread().isInterrupted()) {
            selector.select(50);
            for (SelectionKey key : selector.selectedKeys()) {
                readOrNoticeClose(key);
            }
            selector.selectedKeys().clear();
            if (System.nanoTime() >= nextDrip) {
                nextDrip += 1_000_000_000L;
                for (SelectionKey key : new ArrayList<>(selector.keys())) {
                    drip(key);
                }
            }
        }
        for (Target target : targets) {
            target.stillOpen = 0;
        }
        for (SelectionKey key : selector.keys()) {
            if (key.isValid() && key.attachment() instanceof Held held) {
                held.target().stillOpen++;
            }
        }
    }

    private void readOrNoticeClose(SelectionKey key) {
        SocketChannel channel = (SocketChannel) key.channel();
        try {
            scratch.clear();
            if (channel.read(scratch) < 0) {
                closedByNode(key);
            }
        } catch (IOException e) {
            closedByNode(key);
        }
    }

    private void drip(SelectionKey key) {
        if (!key.isValid()) {
            return;
        }
        Held held = (Held) key.attachment();
        try {
            ((SocketChannel) key.channel()).write(ByteBuffer.wrap(held.target().pattern.drip));
        } catch (IOException e) {
            closedByNode(key);
        }
    }

    private void closedByNode(SelectionKey key) {
        Held held = (Held) key.attachment();
        held.target().closedByNode.incrementAndGet();
        held.target().lived.recordValue((System.nanoTime() - held.openedAt()) / 1_000_000);
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // Gone either way.
        }
    }

    @Override
    public void close() throws IOException {
        for (SelectionKey key : new ArrayList<>(selector.keys())) {
            key.channel().close();
        }
        selector.close();
    }
}
