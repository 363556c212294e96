package io.gitward.tests.limits;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;

/**
 * Slowloris from one thread: TCP connections opened at a fixed rate per target that then send nothing, or only
 * the first bytes of a TLS ClientHello or of the HTTP/2 preface, and never finish. The node must close them (its
 * handshake or idle timeout) or refuse them (its connection limit); the flood records when each one was closed by
 * the node and how many were still open at the end. Bounded by rate, by duration and by the sockets it may hold.
 */
final class ConnectionFlood implements AutoCloseable {
    /** What a connection sends after connecting, before it goes silent. */
    enum Opening {
        NOTHING(new byte[0]),
        /** A TLS record header announcing a 512-byte handshake message, then 4 bytes of it. */
        PARTIAL_CLIENT_HELLO(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc}),
        /** The first line of the HTTP/2 client preface, not the rest. */
        PARTIAL_PREFACE("PRI * HTTP/2.0\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));

        private final byte[] bytes;

        Opening(byte[] bytes) {
            this.bytes = bytes;
        }
    }

    /** One stream of connections: where, what they send, how many per second. */
    static final class Target {
        final String name;
        final InetSocketAddress address;
        final Opening opening;
        final double perSecond;
        final AtomicInteger opened = new AtomicInteger();
        final AtomicInteger connectFailed = new AtomicInteger();
        final AtomicInteger closedByNode = new AtomicInteger();
        /** Milliseconds from connect to the node's close. */
        final Histogram closedAfter = new Histogram(600_000, 2);
        int stillOpen;
        private double due;

        Target(String name, InetSocketAddress address, Opening opening, double perSecond) {
            this.name = name;
            this.address = address;
            this.opening = opening;
            this.perSecond = perSecond;
        }

        String describe() {
            return name + " (" + opening + ", " + perSecond + "/s): opened=" + opened + " connect-failed=" + connectFailed
                    + " closed-by-node=" + closedByNode + " closed-after-ms p50=" + closedAfter.getValueAtPercentile(50)
                    + " max=" + closedAfter.getMaxValue() + " still-open=" + stillOpen;
        }
    }

    private record Held(Target target, long openedAt) {
    }

    private final List<Target> targets;
    private final int maxOpen;
    private final Selector selector;
    private final ByteBuffer scratch = ByteBuffer.allocate(16_384);
    private int open;

    /** @param maxOpen sockets held at most at once, over all targets */
    ConnectionFlood(List<Target> targets, int maxOpen) throws IOException {
        this.targets = List.copyOf(targets);
        this.maxOpen = maxOpen;
        this.selector = Selector.open();
    }

    List<Target> targets() {
        return targets;
    }

    /** Opens connections at the targets' rates until {@code until} (System.nanoTime), watching for closes. */
    void flood(long until) throws IOException {
        long last = System.nanoTime();
        while (System.nanoTime() < until && !Thread.currentThread().isInterrupted()) {
            long now = System.nanoTime();
            double seconds = (now - last) / 1e9;
            last = now;
            for (Target target : targets) {
                target.due += target.perSecond * seconds;
                while (target.due >= 1 && open < maxOpen) {
                    target.due--;
                    connect(target);
                }
                target.due = Math.min(target.due, target.perSecond);
            }
            watch(10);
        }
    }

    /**
     * Keeps watching without opening more, until the node closed every socket of {@code mustClose} or {@code until}
     * passed; then counts what is still open per target.
     */
    void drain(java.util.Collection<Target> mustClose, long until) throws IOException {
        while (System.nanoTime() < until && countOpen(mustClose) > 0) {
            watch(50);
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

    private int countOpen(java.util.Collection<Target> of) {
        int count = 0;
        for (SelectionKey key : selector.keys()) {
            if (key.isValid() && key.attachment() instanceof Held held && of.contains(held.target())) {
                count++;
            }
        }
        return count;
    }

    private void connect(Target target) {
        target.opened.incrementAndGet();
        SocketChannel channel = null;
        try {
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.bind(new InetSocketAddress(Endpoint.ATTACKER, 0));
            Held held = new Held(target, System.nanoTime());
            if (channel.connect(target.address)) {
                // Loopback may connect at once; then there is no OP_CONNECT to wait for.
                channel.write(ByteBuffer.wrap(target.opening.bytes));
                channel.register(selector, SelectionKey.OP_READ, held);
            } else {
                channel.register(selector, SelectionKey.OP_CONNECT, held);
            }
            open++;
        } catch (IOException e) {
            target.connectFailed.incrementAndGet();
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // Never connected.
                }
            }
        }
    }

    private void watch(long millis) throws IOException {
        selector.select(millis);
        for (SelectionKey key : selector.selectedKeys()) {
            Held held = (Held) key.attachment();
            SocketChannel channel = (SocketChannel) key.channel();
            try {
                if (key.isConnectable()) {
                    channel.finishConnect();
                    if (held.target().opening.bytes.length > 0) {
                        channel.write(ByteBuffer.wrap(held.target().opening.bytes));
                    }
                    key.interestOps(SelectionKey.OP_READ);
                } else if (key.isReadable()) {
                    scratch.clear();
                    if (channel.read(scratch) < 0) {
                        closedByNode(key, held);
                    }
                }
            } catch (IOException e) {
                // Connection refused before it was accepted, or reset by the node: either way the node ended it.
                if (key.isValid() && (key.interestOps() & SelectionKey.OP_CONNECT) != 0) {
                    held.target().connectFailed.incrementAndGet();
                    forget(key);
                } else {
                    closedByNode(key, held);
                }
            }
        }
        selector.selectedKeys().clear();
    }

    private void closedByNode(SelectionKey key, Held held) {
        held.target().closedByNode.incrementAndGet();
        held.target().closedAfter.recordValue(Duration.ofNanos(System.nanoTime() - held.openedAt()).toMillis());
        forget(key);
    }

    private void forget(SelectionKey key) {
        key.cancel();
        try {
            key.channel().close();
        } catch (IOException ignored) {
            // The socket is gone either way.
        }
        open--;
    }

    @Override
    public void close() throws IOException {
        List<SelectionKey> keys = new ArrayList<>(selector.keys());
        for (SelectionKey key : keys) {
            key.channel().close();
        }
        selector.close();
    }
}
