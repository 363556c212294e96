package io.gitward.tests.security;

import io.gitward.security.x509.Pem;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509TrustManager;

/**
 * A TLS server that stands where a peer should be, holding a valid certificate of the cluster's CA, and records
 * what reaches it: every connection, every handshake (and how it failed), every application byte decrypted after
 * the handshake and the HTTP/2 frame types among them. After a handshake it sends an empty SETTINGS frame (what a
 * gRPC client waits for before it sends a call) and closes once a HEADERS frame arrived, so a caller that did
 * accept it fails fast instead of waiting for an answer. The certificate can be swapped: with the identity the
 * caller expects, the same server is the positive control that proves the recorder sees a request.
 * Optionally it also answers {@code grpc.health.v1} on a plaintext port, as SERVING, like a real node's health
 * listener, so a proxy routes to it.
 */
public final class ImpostorServer implements AutoCloseable {
    /** HTTP/2 frame type of HEADERS: a request (method, path, metadata) was sent. */
    public static final int HEADERS = 0x1;
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] EMPTY_SETTINGS = {0, 0, 0, 0x4, 0, 0, 0, 0, 0};

    private final ServerSocket socket;
    private final AtomicReference<SSLContext> context = new AtomicReference<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger handshakes = new AtomicInteger();
    private final AtomicLong applicationBytes = new AtomicLong();
    private final List<Integer> frameTypes = Collections.synchronizedList(new ArrayList<>());
    private final List<String> handshakeFailures = Collections.synchronizedList(new ArrayList<>());
    private final List<String> clients = Collections.synchronizedList(new ArrayList<>());
    private final Thread acceptor;
    private final Server health;

    private ImpostorServer(TestPki.NodeFiles identity, boolean answerHealth) throws Exception {
        context.set(sslContext(identity));
        // Plain TCP accept; each connection gets TLS with the certificate current at that moment.
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::acceptLoop, "impostor-" + socket.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
        health = answerHealth ? NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new HealthStatusManager().getHealthService()).build().start() : null;
    }

    /** An impostor presenting {@code identity}'s key and chain. */
    public static ImpostorServer start(TestPki.NodeFiles identity) throws Exception {
        return new ImpostorServer(identity, false);
    }

    /** The same, also answering health checks as SERVING on {@link #healthAddress()}. */
    public static ImpostorServer startWithHealth(TestPki.NodeFiles identity) throws Exception {
        return new ImpostorServer(identity, true);
    }

    /** Presents {@code identity} on the next handshakes. */
    public void present(TestPki.NodeFiles identity) throws Exception {
        context.set(sslContext(identity));
    }

    public String address() {
        return "127.0.0.1:" + socket.getLocalPort();
    }

    public String healthAddress() {
        return "127.0.0.1:" + health.getPort();
    }

    /** TCP connections accepted: proof that the caller dialed here. */
    public int connections() {
        return connections.get();
    }

    /** Handshakes that completed from this server's view (the client sent its Finished). */
    public int handshakes() {
        return handshakes.get();
    }

    /** Application bytes decrypted after a handshake: the HTTP/2 preface, frames, anything a caller sent. */
    public long applicationBytes() {
        return applicationBytes.get();
    }

    /** HTTP/2 frame types received, in order. */
    public List<Integer> frameTypes() {
        synchronized (frameTypes) {
            return List.copyOf(frameTypes);
        }
    }

    public boolean sawHeaders() {
        return frameTypes().contains(HEADERS);
    }

    /** How handshakes failed, as this server saw it (e.g. the alert the client sent). */
    public List<String> handshakeFailures() {
        synchronized (handshakeFailures) {
            return List.copyOf(handshakeFailures);
        }
    }

    /** The subject of each client certificate presented in a completed handshake. */
    public List<String> clients() {
        synchronized (clients) {
            return List.copyOf(clients);
        }
    }

    @Override
    public String toString() {
        return "impostor " + address() + ": " + connections() + " connection(s), " + handshakes() + " handshake(s), "
                + applicationBytes() + " application byte(s), frames " + frameTypes() + ", handshake failures "
                + handshakeFailures();
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                java.net.Socket raw = socket.accept();
                connections.incrementAndGet();
                Thread handler = new Thread(() -> serve(raw), "impostor-connection");
                handler.setDaemon(true);
                handler.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** TLS over the accepted connection with the current certificate; handshakes, records what arrives. */
    private void serve(java.net.Socket accepted) {
        try (accepted) {
            SSLSocket tls = (SSLSocket) context.get().getSocketFactory().createSocket(accepted, null, accepted.getPort(),
                    false);
            configure(tls);
            tls.setUseClientMode(false);
            tls.setSoTimeout(30_000);
            try {
                tls.startHandshake();
            } catch (IOException e) {
                handshakeFailures.add(e.getClass().getSimpleName() + ": " + e.getMessage());
                return;
            }
            handshakes.incrementAndGet();
            try {
                X509Certificate client = (X509Certificate) tls.getSession().getPeerCertificates()[0];
                clients.add(client.getSubjectX500Principal().getName());
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                clients.add("(no client certificate)");
            }
            OutputStream out = tls.getOutputStream();
            out.write(EMPTY_SETTINGS);
            out.flush();
            record(tls.getInputStream());
        } catch (IOException e) {
            // The caller went away: what it sent is recorded.
        }
    }

    /** Counts application bytes and parses HTTP/2 frames until a HEADERS frame, EOF or an error. */
    private void record(InputStream in) throws IOException {
        byte[] preface = in.readNBytes(PREFACE.length);
        applicationBytes.addAndGet(preface.length);
        if (preface.length < PREFACE.length) {
            return;
        }
        while (true) {
            byte[] header = in.readNBytes(9);
            applicationBytes.addAndGet(header.length);
            if (header.length < 9) {
                return;
            }
            int length = ((header[0] & 0xff) << 16) | ((header[1] & 0xff) << 8) | (header[2] & 0xff);
            int type = header[3] & 0xff;
            byte[] payload = in.readNBytes(length);
            applicationBytes.addAndGet(payload.length);
            frameTypes.add(type);
            if (type == HEADERS || payload.length < length) {
                return; // a request arrived: that is all the control needs; closing fails the caller fast
            }
        }
    }

    private static void configure(SSLSocket tls) {
        SSLParameters parameters = tls.getSSLParameters();
        parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        parameters.setApplicationProtocols(new String[] {"h2"});
        // Asked, not required: a caller that gets as far as sending its certificate shows who it is.
        parameters.setWantClientAuth(true);
        tls.setSSLParameters(parameters);
    }

    private static SSLContext sslContext(TestPki.NodeFiles identity) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("impostor", Pem.readPrivateKey(identity.key(), null), new char[0],
                Pem.readCertificates(identity.chain()).toArray(new X509Certificate[0]));
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(keys, new char[0]);
        X509TrustManager anyClient = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keyManagers.getKeyManagers(), new X509TrustManager[] {anyClient}, null);
        return context;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
        if (health != null) {
            health.shutdownNow();
        }
    }
}
