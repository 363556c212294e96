package io.gitward.security.tls;

import static java.util.Objects.requireNonNull;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * {@link SSLContext}s for listeners built on the JDK's own HTTP stack (the gateway's Git HTTPS listener). They
 * never need rebuilding: every handshake presents the node's current key and judges peers under the current
 * trust, exactly like the Netty contexts, so rotation and revocation apply to the next handshake.
 */
public final class JdkTlsContexts {
    private JdkTlsContexts() {
    }

    /** A server context presenting this node's current certificate; peers are validated as TLS clients. */
    public static SSLContext server(NodeCredentials credentials) throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(new KeyManager[] {new CurrentKeyManager(credentials)},
                new TrustManager[] {new PeerTrustManager(credentials, null)}, null);
        return context;
    }

    /**
     * Hands out the key material current at the start of a handshake under an alias of its own, so a rotation in
     * the middle of a handshake never pairs the new chain with the old key.
     */
    static final class CurrentKeyManager extends X509ExtendedKeyManager {
        private static final int REMEMBERED = 8;

        private final NodeCredentials credentials;
        private final AtomicLong aliases = new AtomicLong();
        private final Map<String, KeyMaterial> byAlias = new ConcurrentHashMap<>();
        private volatile KeyMaterial lastMaterial;
        private volatile String lastAlias;

        CurrentKeyManager(NodeCredentials credentials) {
            this.credentials = requireNonNull(credentials, "credentials");
        }

        private String currentAlias() {
            KeyMaterial material = credentials.keyMaterial();
            if (material == null) {
                return null;
            }
            synchronized (this) {
                if (material != lastMaterial) {
                    String alias = "node-key-" + aliases.incrementAndGet();
                    byAlias.put(alias, material);
                    // Keep the few most recent generations for handshakes still in flight; drop older ones.
                    byAlias.keySet().removeIf(name -> Long.parseLong(name.substring(9)) <= aliases.get() - REMEMBERED);
                    lastMaterial = material;
                    lastAlias = alias;
                }
                return lastAlias;
            }
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return currentAlias();
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return currentAlias();
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            String alias = currentAlias();
            return alias == null ? null : new String[] {alias};
        }

        @Override
        public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            KeyMaterial material = alias == null ? null : byAlias.get(alias);
            return material == null ? null : material.chain().toArray(new X509Certificate[0]);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            KeyMaterial material = alias == null ? null : byAlias.get(alias);
            return material == null ? null : material.key();
        }
    }
}
