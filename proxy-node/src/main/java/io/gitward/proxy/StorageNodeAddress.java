package io.gitward.proxy;

import io.gitward.security.server.ListenAddress;

/**
 * One storage node behind the proxy, as configured in {@code proxy.storages}.
 *
 * @param name      the node's name: its storage name in the cluster and its certificate's name
 * @param tls       its mTLS gRPC listener
 * @param plaintext its plaintext gRPC listener (phases 0-3), or null
 * @param health    its health listener (grpc.health.v1, plaintext)
 */
public record StorageNodeAddress(String name, ListenAddress tls, ListenAddress plaintext, ListenAddress health) {
}
