package io.gitward.security.server;

import io.gitward.proto.GetNodeInfoRequest;
import io.gitward.proto.GetNodeInfoResponse;
import io.gitward.proto.NodeServiceGrpc;
import io.gitward.proto.ServedMethods;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** {@code gitward.NodeService}: what the node is and how it is configured. No secret is ever part of it. */
final class NodeInfoService extends NodeServiceGrpc.NodeServiceImplBase {
    private final NodeSettings settings;
    private final String version;
    private final Supplier<Map<String, String>> boundListeners;
    private final Supplier<Map<String, List<String>>> servedMethods;

    /** @param servedMethods the full names of the methods each open gRPC listener serves, by listener name */
    NodeInfoService(NodeSettings settings, String version, Supplier<Map<String, String>> boundListeners,
            Supplier<Map<String, List<String>>> servedMethods) {
        this.settings = settings;
        this.version = version;
        this.boundListeners = boundListeners;
        this.servedMethods = servedMethods;
    }

    @Override
    public void getNodeInfo(GetNodeInfoRequest request, StreamObserver<GetNodeInfoResponse> responseObserver) {
        GetNodeInfoResponse.Builder response = GetNodeInfoResponse.newBuilder()
                .setKind(settings.kind().wireName())
                .setName(settings.name())
                .setIdentity(settings.identity() == null ? "" : settings.identity().spiffeId())
                .setPhase(settings.phase())
                .setVersion(version)
                .putAllListeners(boundListeners.get());
        servedMethods.get().forEach((listener, methods) -> response.addServed(ServedMethods.newBuilder()
                .setListener(listener).addAllMethods(methods)));
        responseObserver.onNext(response.build());
        responseObserver.onCompleted();
    }
}
