package io.gitward.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.ExtensionRegistry;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fails the build when any RPC of any Gitward service lacks a scope or an operation type. */
class ScopeCompletenessTest {
    @Test
    void everyMethodHasAScopeAndAnOperationType() throws Exception {
        ExtensionRegistry registry = ExtensionRegistry.newInstance();
        OptionsProto.registerAllExtensions(registry);
        FileDescriptorSet set;
        try (InputStream in = getClass().getResourceAsStream("/META-INF/gitward/gitward.protoset")) {
            set = FileDescriptorSet.parseFrom(in, registry);
        }
        List<String> missing = new ArrayList<>();
        int methods = 0;
        for (FileDescriptorProto file : set.getFileList()) {
            for (ServiceDescriptorProto service : file.getServiceList()) {
                for (MethodDescriptorProto method : service.getMethodList()) {
                    methods++;
                    String name = file.getPackage() + "." + service.getName() + "/" + method.getName();
                    Scope scope = method.getOptions().getExtension(OptionsProto.scope);
                    OperationType operation = method.getOptions().getExtension(OptionsProto.operation);
                    if (scope == Scope.SCOPE_UNSPECIFIED) {
                        missing.add(name + ": no (gitward.scope)");
                    }
                    if (operation == OperationType.OPERATION_UNSPECIFIED) {
                        missing.add(name + ": no (gitward.operation)");
                    }
                }
            }
        }
        assertTrue(methods > 0, "the descriptor set lists no method");
        assertEquals(List.of(), missing, "every RPC needs a scope and an operation type");
    }

    @Test
    void theDescriptorSetShipsInTheJar() {
        assertFalse(getClass().getResource("/META-INF/gitward/gitward.protoset") == null);
    }
}
