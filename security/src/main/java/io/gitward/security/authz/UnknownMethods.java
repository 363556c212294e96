package io.gitward.security.authz;

import io.grpc.HandlerRegistry;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Catches calls to methods no service registers, so they pass the security interceptor (denied, and
 * counted in the audit under scope UNKNOWN) instead of grpc's silent UNIMPLEMENTED.
 */
public final class UnknownMethods extends HandlerRegistry {
    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    @Override
    public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
        MethodDescriptor<byte[], byte[]> descriptor = MethodDescriptor.newBuilder(BYTES, BYTES)
                .setType(MethodDescriptor.MethodType.UNKNOWN).setFullMethodName(methodName).build();
        ServerCallHandler<byte[], byte[]> unimplemented = (call, headers) -> {
            call.close(Status.UNIMPLEMENTED.withDescription("no such method: " + methodName), new io.grpc.Metadata());
            return new io.grpc.ServerCall.Listener<>() {
            };
        };
        return ServerMethodDefinition.create(descriptor, unimplemented);
    }
}
