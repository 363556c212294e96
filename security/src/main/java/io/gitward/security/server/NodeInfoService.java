package io.gitward.security.server;

import io.gitward.proto.GetNodeInfoRequest;
import io.gitward.proto.GetNodeInfoResponse;
import io.gitward.proto.NodeServiceGrpc;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.function.Supplier;

/** {@code gitward.NodeService}: what the node is and how it is configured. No secret is ever part of it. */
final class NodeInfoService extends NodeServiceGrpc.NodeServiceImplBase {
    private final NodeSettings settings;
    private final String version;
    private final Supplier<Map<String, String>> boundListeners;

    NodeInfoService(NodeSettings settings, String version, Supplier<Map<String, String>> boundListeners) {
        this.settings = settings;
        this.version = version;
        this.boundListeners = boundListeners;
    }

    @Override
    public void getNodeInfo(GetNodeInfoRequest request, StreamObserver<GetNodeInfoResponse> responseObserver) {
        responseObserver.onNext(GetNodeInfoResponse.newBuilder()
                .setKind(settings.kind().wireName())
                .setName(settings.name())
                .setIdentity(settings.identity() == null ? "" : settings.identity().spiffeId())
                .setPhase(settings.phase())
                .setVersion(version)
                .putAllListeners(boundListeners.get())
                .build());
        responseObserver.onCompleted();
    }
}
