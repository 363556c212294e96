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

    /** The connection in use and the route it was dialed for, replaced together. */
    private record Dialed(ManagedChannel channel, OutboundChannels.Route route) {
    }

    private final Supplier<OutboundChannels.Route> wanted;
    private final Dialer dialer;
    private volatile Dialed dialed;
    private boolean shutdown;

    PhaseFollowingChannel(ManagedChannel first, OutboundChannels.Route route, Supplier<OutboundChannels.Route> wanted,
            Dialer dialer) {
        this.dialed = new Dialed(first, route);
        this.wanted = wanted;
        this.dialer = dialer;
    }

    /** Every call passes here: the common case (no phase change) takes no lock. */
    private ManagedChannel current() {
        Dialed now = dialed;
        OutboundChannels.Route route = wanted.get();
        return route.equals(now.route()) ? now.channel() : redial(route);
    }

    private synchronized ManagedChannel redial(OutboundChannels.Route route) {
        Dialed previous = dialed;
        if (shutdown || route.equals(previous.route())) {
            return previous.channel();
        }
        try {
            dialed = new Dialed(dialer.dial(route), route);
            previous.channel().shutdown(); // in-flight calls finish on the old connection
        } catch (SSLException e) {
            LOG.error("cannot re-dial {} for the new phase; keeping the previous connection: {}",
                    previous.channel().authority(), e.getMessage());
        }
        return dialed.channel();
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
        dialed.channel().shutdown();
        return this;
    }

    @Override
    public synchronized boolean isShutdown() {
        return shutdown;
    }

    @Override
    public synchronized boolean isTerminated() {
        return shutdown && dialed.channel().isTerminated();
    }

    @Override
    public synchronized ManagedChannel shutdownNow() {
        shutdown = true;
        dialed.channel().shutdownNow();
        return this;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return dialed.channel().awaitTermination(timeout, unit);
    }
}
