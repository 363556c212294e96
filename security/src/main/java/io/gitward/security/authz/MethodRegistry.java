package io.gitward.security.authz;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.ExtensionRegistry;
import io.gitward.proto.OperationType;
import io.gitward.proto.OptionsProto;
import io.gitward.proto.Scope;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.Collections;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Every Gitward RPC's scope, operation type and target-repository field, read from the descriptor set the
 * proto module ships, so authorization and routing are data. A method that is not here has no scope and is
 * denied. Immutable.
 */
public final class MethodRegistry {
    /** Every jar may contribute descriptor sets here; the proto module ships gitward.protoset. */
    private static final String PROTOSET_DIRECTORY = "META-INF/gitward/";
    private static final List<String> PROTOSETS = List.of("gitward.protoset", "testing.protoset");
    private static final MethodRegistry INSTANCE = load();

    private final Map<String, MethodInfo> methods;

    private MethodRegistry(Map<String, MethodInfo> methods) {
        this.methods = Map.copyOf(methods);
    }

    public static MethodRegistry instance() {
        return INSTANCE;
    }

    public Optional<MethodInfo> find(String fullMethodName) {
        return Optional.ofNullable(methods.get(fullMethodName));
    }

    /** Every known method by full name, sorted. */
    public Map<String, MethodInfo> all() {
        return new TreeMap<>(methods);
    }

    private static MethodRegistry load() {
        ExtensionRegistry extensions = ExtensionRegistry.newInstance();
        OptionsProto.registerAllExtensions(extensions);
        FileDescriptorSet.Builder merged = FileDescriptorSet.newBuilder();
        ClassLoader loader = MethodRegistry.class.getClassLoader();
        for (String name : PROTOSETS) {
            try {
                for (URL url : Collections.list(loader.getResources(PROTOSET_DIRECTORY + name))) {
                    try (InputStream in = url.openStream()) {
                        merged.mergeFrom(FileDescriptorSet.parseFrom(in, extensions));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        FileDescriptorSet set = merged.build();
        if (set.getFileCount() == 0) {
            throw new IllegalStateException(PROTOSET_DIRECTORY
                    + "gitward.protoset is missing from the classpath (gitward-proto jar)");
        }
        Map<String, DescriptorProto> messages = new HashMap<>();
        for (FileDescriptorProto file : set.getFileList()) {
            for (DescriptorProto message : file.getMessageTypeList()) {
                messages.put("." + file.getPackage() + "." + message.getName(), message);
            }
        }
        Map<String, MethodInfo> methods = new HashMap<>();
        for (FileDescriptorProto file : set.getFileList()) {
            for (ServiceDescriptorProto service : file.getServiceList()) {
                for (MethodDescriptorProto method : service.getMethodList()) {
                    String name = file.getPackage() + "." + service.getName() + "/" + method.getName();
                    Scope scope = method.getOptions().getExtension(OptionsProto.scope);
                    OperationType operation = method.getOptions().getExtension(OptionsProto.operation);
                    if (scope == Scope.SCOPE_UNSPECIFIED) {
                        continue; // no scope: stays unknown, so it is denied (the build test forbids it anyway)
                    }
                    methods.put(name, new MethodInfo(name, scope, operation,
                            targetField(messages.get(method.getInputType())),
                            method.getOptions().getExtension(OptionsProto.expensive), method.getClientStreaming(),
                            method.getServerStreaming()));
                }
            }
        }
        return new MethodRegistry(methods);
    }

    private static int targetField(DescriptorProto input) {
        if (input == null) {
            return 0;
        }
        for (FieldDescriptorProto field : input.getFieldList()) {
            if (field.getOptions().getExtension(OptionsProto.targetRepository)) {
                return field.getNumber();
            }
        }
        return 0;
    }
}
