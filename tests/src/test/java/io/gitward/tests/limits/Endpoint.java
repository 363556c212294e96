package io.gitward.tests.limits;

import io.gitward.tests.security.ProbeCaller;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Where an attacker connects and how: plaintext, or TLS with ALPN and with or without a client certificate. The
 * attacker does not verify the server (it has nothing to protect) and connects from {@link #ATTACKER}, another
 * loopback address, so its thousands of short connections use their own port range.
 *
 * @param name     for reports, e.g. {@code storage-1/grpc-tls}
 * @param address  the listener
 * @param tls      null for plaintext
 * @param alpn     the protocol to offer over TLS ({@code h2} for gRPC and HTTP/2)
 * @param identity the client certificate to present, or null
 */
record Endpoint(String name, InetSocketAddress address, boolean tls, String alpn, ProbeCaller.ClientIdentity identity) {
    static final InetAddress ATTACKER = loopback(2);
    private static final java.util.Map<Object, SSLContext> CONTEXTS = new java.util.concurrent.ConcurrentHashMap<>();

    static Endpoint plaintext(String name, InetSocketAddress address) {
        return new Endpoint(name, address, false, null, null);
    }

    static Endpoint tls(String name, InetSocketAddress address, ProbeCaller.ClientIdentity identity) {
        return new Endpoint(name, address, true, "h2", identity);
    }

    Endpoint as(String newName, ProbeCaller.ClientIdentity newIdentity) {
        return new Endpoint(newName, address, tls, alpn, newIdentity);
    }

    /** A connected socket, its TLS handshake done when {@link #tls}; throws when refused. */
    Socket connect(Duration timeout) throws IOException {
        Socket raw = new Socket();
        try {
            raw.bind(new InetSocketAddress(ATTACKER, 0));
            raw.setTcpNoDelay(true);
            raw.connect(address, (int) timeout.toMillis());
            raw.setSoTimeout((int) timeout.toMillis());
            if (!tls) {
                return raw;
            }
            SSLSocket socket = (SSLSocket) context().getSocketFactory().createSocket(raw,
                    address.getHostString(), address.getPort(), true);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setApplicationProtocols(new String[] {alpn});
            socket.setSSLParameters(parameters);
            socket.startHandshake();
            return socket;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    private SSLContext context() throws IOException {
        Object key = identity == null ? "none" : identity;
        SSLContext cached = CONTEXTS.get(key);
        if (cached != null) {
            return cached;
        }
        try {
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            if (identity != null) {
                store.setKeyEntry("attacker", identity.key(), new char[0],
                        identity.chain().toArray(new X509Certificate[0]));
            }
            keys.init(store, new char[0]);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), new TrustManager[] {new TrustingEverything()}, new SecureRandom());
            CONTEXTS.putIfAbsent(key, context);
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot build the attacker's TLS context: " + e.getMessage(), e);
        }
    }

    static InetAddress loopback(int last) {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The attacker accepts any server: it is not the one being protected here. */
    private static final class TrustingEverything implements X509TrustManager {
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
    }
}
