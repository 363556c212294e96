package io.gitward.tests.wire;

import io.gitward.security.server.ListenAddress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on a plaintext link (a node dials the relay's address instead of its peer's plaintext listener): it
 * forwards every byte both ways unchanged and journals them — raw, and decoded as HTTP/2 (HPACK headers, gRPC
 * messages), since on the wire header values are HPACK-coded and {@code -bin} values base64. Bytes are journaled
 * before they are forwarded, so once a call has been answered its bytes are in the journal. Each direction of a
 * relayed connection is a journal connection of its own: {@code N.c2s} (caller to node) and {@code N.s2c}.
 */
final class PlaintextRelay implements AutoCloseable {
    private static final int CONNECT_TIMEOUT_MS = 10_000;

    private final String name;
    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Path journalFile;
    private final WireJournal.Writer journal;
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Socket> sockets = new ArrayList<>();
    private final Thread acceptor;
    private volatile boolean closed;

    private PlaintextRelay(String name, InetSocketAddress target, Path journalFile) throws IOException {
        this.name = name;
        this.target = target;
        this.journalFile = journalFile;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.journal = new WireJournal.Writer(journalFile);
        this.acceptor = new Thread(this::acceptLoop, "relay-" + name);
        this.acceptor.setDaemon(true);
    }

    /** A relay in front of {@code target} ("host:port"), listening on a free loopback port. */
    static PlaintextRelay start(String name, String target, Path journalFile) throws IOException {
        ListenAddress address = ListenAddress.parse(target);
        PlaintextRelay relay = new PlaintextRelay(name, new InetSocketAddress(address.host(), address.port()), journalFile);
        relay.acceptor.start();
        return relay;
    }

    String name() {
        return name;
    }

    /** "127.0.0.1:PORT": what a node is told to dial instead of the peer. */
    String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    Path journal() {
        return journalFile;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket caller;
            try {
                caller = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            String id = Integer.toString(connections.incrementAndGet());
            Socket node = new Socket();
            try {
                node.connect(target, CONNECT_TIMEOUT_MS);
            } catch (IOException e) {
                journal.problem(id + ".c2s", "relay " + name + " cannot reach " + target + ": " + e.getMessage());
                closeQuietly(caller);
                continue;
            }
            track(caller, node);
            journal.opened(id + ".c2s", "relay " + name + " caller " + caller.getRemoteSocketAddress() + " to " + target);
            journal.opened(id + ".s2c", "relay " + name + " " + target + " back to " + caller.getRemoteSocketAddress());
            pump(id + ".c2s", caller, node, true);
            pump(id + ".s2c", node, caller, false);
        }
    }

    private void pump(String connection, Socket from, Socket to, boolean clientToServer) {
        Http2Decoder decoder = new Http2Decoder(clientToServer, journal.listener(connection));
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    byte[] bytes = Arrays.copyOf(buffer, read);
                    journal.raw(connection, bytes);
                    decoder.feed(bytes);
                    out.write(bytes);
                    out.flush();
                }
            } catch (IOException | java.io.UncheckedIOException e) {
                // One side went away (or the relay closed its journal): closing both ends the other direction too.
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "relay-" + name + "-" + connection);
        thread.setDaemon(true);
        thread.start();
    }

    private synchronized void track(Socket... opened) {
        sockets.addAll(List.of(opened));
        if (closed) {
            sockets.forEach(PlaintextRelay::closeQuietly);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Already closed.
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // Already closed.
        }
        synchronized (this) {
            sockets.forEach(PlaintextRelay::closeQuietly);
        }
        journal.close();
    }
}
