package io.gitward.proxy.forward;

import io.gitward.proto.OperationType;
import io.gitward.proto.Scope;
import io.gitward.security.authz.MethodInfo;
import io.gitward.security.authz.MethodRegistry;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The services the proxy forwards: every {@code PUBLIC} method of the Gitward API, built from the proto options
 * (an allowlist that is data). Unknown, unannotated, {@code INTERNAL}, {@code MAINTENANCE} and admin methods are
 * not here, so the proxy refuses them like any method it does not serve.
 */
public final class ProxyServices {
    private static final String FORWARDED_PACKAGE = "gitward.";

    private ProxyServices() {
    }

    /** The forwarded methods' full names, sorted. */
    public static List<String> forwardedMethods(MethodRegistry registry) {
        return registry.all().values().stream().filter(ProxyServices::forwarded).map(MethodInfo::fullMethodName).toList();
    }

    public static List<ServerServiceDefinition> create(MethodRegistry registry, RouteContext context) {
        Map<String, ServerServiceDefinition.Builder> services = new TreeMap<>();
        for (MethodInfo info : registry.all().values()) {
            if (!forwarded(info)) {
                continue;
            }
            String service = MethodDescriptor.extractFullServiceName(info.fullMethodName());
            MethodDescriptor<byte[], byte[]> descriptor = MethodDescriptor.<byte[], byte[]>newBuilder()
                    .setType(type(info)).setFullMethodName(info.fullMethodName())
                    .setRequestMarshaller(RawBytes.INSTANCE).setResponseMarshaller(RawBytes.INSTANCE).build();
            services.computeIfAbsent(service, ServerServiceDefinition::builder).addMethod(descriptor, handler(info, context));
        }
        List<ServerServiceDefinition> definitions = new ArrayList<>();
        services.values().forEach(builder -> definitions.add(builder.build()));
        return definitions;
    }

    private static boolean forwarded(MethodInfo info) {
        return info.scope() == Scope.PUBLIC && info.fullMethodName().startsWith(FORWARDED_PACKAGE)
                && info.fullMethodName().indexOf('.', FORWARDED_PACKAGE.length()) < 0
                && (info.operation() == OperationType.ACCESSOR || info.operation() == OperationType.MUTATOR);
    }

    private static ServerCallHandler<byte[], byte[]> handler(MethodInfo info, RouteContext context) {
        return (call, headers) -> {
            ProxiedCall.Route route = info.operation() == OperationType.MUTATOR
                    ? new MutatorRoute(context, info.fullMethodName()) : new AccessorRoute(context);
            ProxiedCall proxied = new ProxiedCall(call, headers, info.targetRepositoryField(), route, context.routing());
            call.request(1);
            return proxied;
        };
    }

    private static MethodDescriptor.MethodType type(MethodInfo info) {
        if (info.clientStreaming()) {
            return info.serverStreaming() ? MethodDescriptor.MethodType.BIDI_STREAMING
                    : MethodDescriptor.MethodType.CLIENT_STREAMING;
        }
        return info.serverStreaming() ? MethodDescriptor.MethodType.SERVER_STREAMING : MethodDescriptor.MethodType.UNARY;
    }
}
