package io.gitward.security.tls;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolNegotiator;
import io.netty.handler.ssl.SslContext;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSessionContext;

/**
 * An {@link SslContext} whose work is done by an immutable delegate that can be swapped: a rotation
 * builds a complete new context off the handshake path and installs it with one volatile write. New
 * handshakes use the new delegate; established connections keep the engine they were created with.
 */
public final class ReloadableSslContext extends SslContext {
    private volatile SslContext current;
    /** Until the next swap, engines are made without the peer's address: no cached session can be resumed. */
    private volatile boolean forgetSessions;

    public ReloadableSslContext(SslContext initial) {
        this.current = requireNonNull(initial, "initial");
    }

    /** Installs {@code next} for every handshake from now on. Both must agree on client/server mode. */
    public void swap(SslContext next) {
        if (next.isClient() != current.isClient()) {
            throw new IllegalArgumentException("cannot swap a client context for a server context");
        }
        current = next;
        forgetSessions = false;
    }

    /**
     * From now until the next {@link #swap}, no handshake resumes a session cached before: a client context's
     * cache would skip the server's certificate, and the trust that accepted it may have changed. Cheap, so it can
     * come before closing connections, while the rebuild that ends it comes after.
     */
    public void forgetSessions() {
        forgetSessions = true;
    }

    public SslContext current() {
        return current;
    }

    @Override
    public boolean isClient() {
        return current.isClient();
    }

    @Override
    public List<String> cipherSuites() {
        return current.cipherSuites();
    }

    @Override
    public ApplicationProtocolNegotiator applicationProtocolNegotiator() {
        return current.applicationProtocolNegotiator();
    }

    @Override
    public SSLEngine newEngine(ByteBufAllocator alloc) {
        return current.newEngine(alloc);
    }

    @Override
    public SSLEngine newEngine(ByteBufAllocator alloc, String peerHost, int peerPort) {
        // Session caches are looked up by peer host and port; an engine without them always does a full handshake.
        return forgetSessions ? current.newEngine(alloc) : current.newEngine(alloc, peerHost, peerPort);
    }

    @Override
    public SSLSessionContext sessionContext() {
        return current.sessionContext();
    }
}
