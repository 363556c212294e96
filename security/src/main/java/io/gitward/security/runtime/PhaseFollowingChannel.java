package io.gitward.security.runtime;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long-lived channel to one peer that keeps up with phase changes. Channels are dialed once and cached by
 * their users, so without this a proxy that dialed a storage node over plaintext in phase 0 would still use
 * plaintext after the phase closed that listener, one dialed with a token would keep sending it, and a TLS
 * connection opened before certificates were presented would never present one. Each
 * call checks the route the flags ask for now; when it differs, a new connection is dialed for this and later
 * calls, and the old one drains its in-flight calls and closes.
 */
final class PhaseFollowingChannel extends ManagedChannel {
    private static final Logger LOG = LoggerFactory.getLogger(PhaseFollowingChannel.class);

    /** Dials the peer along a route. */
    interface Dialer {
        ManagedChannel dial(OutboundChannels.Route route) throws SSLException;
    }

    private final Supplier<OutboundChannels.Route> wanted;
    private final Dialer dialer;
    private ManagedChannel current;
    private OutboundChannels.Route route;
    private boolean shutdown;

    PhaseFollowingChannel(ManagedChannel first, OutboundChannels.Route route, Supplier<OutboundChannels.Route> wanted,
            Dialer dialer) {
        this.current = first;
        this.route = route;
        this.wanted = wanted;
        this.dialer = dialer;
    }

    private synchronized ManagedChannel current() {
        OutboundChannels.Route now = wanted.get();
        if (!shutdown && !now.equals(route)) {
            try {
                ManagedChannel previous = current;
                current = dialer.dial(now);
                route = now;
                previous.shutdown(); // in-flight calls finish on the old connection
            } catch (SSLException e) {
                LOG.error("cannot re-dial {} for the new phase; keeping the previous connection: {}", current.authority(),
                        e.getMessage());
            }
        }
        return current;
    }

    @Override
    public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
        return current().newCall(method, options);
    }

    @Override
    public String authority() {
        return current().authority();
    }

    @Override
    public synchronized ManagedChannel shutdown() {
        shutdown = true;
        current.shutdown();
        return this;
    }

    @Override
    public synchronized boolean isShutdown() {
        return shutdown;
    }

    @Override
    public synchronized boolean isTerminated() {
        return shutdown && current.isTerminated();
    }

    @Override
    public synchronized ManagedChannel shutdownNow() {
        shutdown = true;
        current.shutdownNow();
        return this;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        ManagedChannel last;
        synchronized (this) {
            last = current;
        }
        return last.awaitTermination(timeout, unit);
    }
}
