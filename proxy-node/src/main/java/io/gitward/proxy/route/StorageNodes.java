package io.gitward.proxy.route;

import static java.util.Objects.requireNonNull;

import io.gitward.proxy.StorageNodeAddress;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.runtime.PeerEndpoint;
import io.gitward.security.runtime.SecurityRuntime;
import io.grpc.ManagedChannel;
import io.netty.channel.EventLoop;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;

/**
 * The storage nodes behind this proxy and the channels to them, dialed with the proxy's own identity; every
 * connection requires the node to prove {@code spiffe://<trust domain>/storage/<name>} first. A caller on one of
 * the node's event loops (a proxied read, relayed on its transport thread) gets a channel whose connection runs on
 * that same loop, so the client's connection and the storage node's are served by one thread; every other
 * caller shares one channel per node.
 */
public final class StorageNodes implements AutoCloseable {
    private final Map<String, StorageNodeAddress> nodes = new LinkedHashMap<>();
    private final Map<String, PeerEndpoint> endpoints = new LinkedHashMap<>();
    private final Map<ChannelKey, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final SecurityRuntime security;

    public StorageNodes(List<StorageNodeAddress> addresses, String trustDomain, SecurityRuntime security) {
        this.security = requireNonNull(security, "security");
        for (StorageNodeAddress address : addresses) {
            nodes.put(address.name(), address);
            endpoints.put(address.name(), new PeerEndpoint(NodeIdentity.of(trustDomain, "storage", address.name()),
                    address.tls(), address.plaintext()));
        }
    }

    /** Node names in configuration order. */
    public Set<String> names() {
        return nodes.keySet();
    }

    public StorageNodeAddress address(String name) {
        StorageNodeAddress address = nodes.get(name);
        if (address == null) {
            throw new IllegalArgumentException("no storage node " + name + " in proxy.storages");
        }
        return address;
    }

    public PeerEndpoint endpoint(String name) {
        address(name);
        return endpoints.get(name);
    }

    /** A channel to {@code name}, dialed on first use: on the caller's event loop when it runs one. */
    public ManagedChannel channel(String name) throws SSLException {
        ChannelKey key = new ChannelKey(name, security.currentWorkerLoop().orElse(null));
        ManagedChannel existing = channels.get(key);
        if (existing != null && !existing.isShutdown()) {
            return existing;
        }
        synchronized (channels) {
            existing = channels.get(key);
            if (existing != null && !existing.isShutdown()) {
                return existing;
            }
            // Relaying listeners never block (writes end on the routing executor): let them run on the transport.
            ManagedChannel created = security.outbound().dial(endpoint(name), true, key.loop());
            channels.put(key, created);
            return created;
        }
    }

    /** A node and the event loop its channel's connections run on (null: any of the node's loops). */
    private record ChannelKey(String node, EventLoop loop) {
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }
}
