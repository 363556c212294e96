package io.gitward.tests.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.gitward.security.identity.Role;
import io.gitward.security.server.NodeKind;
import io.gitward.security.x509.Pem;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecurityRuntimeSmokeTest {
    @TempDir
    Path dir;

    @Test
    void phaseSixStorageNodeServesItsProxyAndRefusesEveryoneElse() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "cell-1.gitward", false);
        TestPki.NodeFiles storage = pki.issue(Role.STORAGE, "storage-1");
        TestPki.NodeFiles proxy = pki.issue(Role.PROXY, "proxy-1");
        TestPki.NodeFiles client = pki.issue(Role.CLIENT, "rails");
        Path config = NodeConfig.node("storage-1", dir.resolve("data")).identity(pki, storage)
                .set("security.phase", "6").write(dir.resolve("storage.conf"));
        List<X509Certificate> roots = Pem.readCertificates(pki.roots());
        try (InProcessNode node = InProcessNode.start(NodeKind.STORAGE, config)) {
            assertEquals(-1, node.plaintextPort(), "phase 6 has no plaintext listener");
            ProbeCaller.Result asProxy = ProbeCaller.callOnce(node.tlsPort(), true, identity(proxy), roots,
                    SslProvider.OPENSSL, ProbeCaller.Method.PUBLIC, null, Map.of());
            assertEquals(Outcome.OK, asProxy.outcome(), asProxy.toString());
            assertEquals("spiffe://cell-1.gitward/proxy/proxy-1", asProxy.response().getPrincipal());
            assertEquals("mtls", asProxy.response().getTransport());
            assertFalse(asProxy.response().getAuthorizationHeaderVisible());

            ProbeCaller.Result asClient = ProbeCaller.callOnce(node.tlsPort(), true, identity(client), roots,
                    SslProvider.JDK, ProbeCaller.Method.PUBLIC, null, Map.of());
            assertEquals(Outcome.PERMISSION_DENIED, asClient.outcome(), asClient.toString());

            ProbeCaller.Result noCert = ProbeCaller.callOnce(node.tlsPort(), true, null, roots, SslProvider.OPENSSL,
                    ProbeCaller.Method.PUBLIC, null, Map.of());
            assertEquals(Outcome.HANDSHAKE_REFUSED, noCert.outcome(), noCert.toString());

            ProbeCaller.Result unannotated = ProbeCaller.callOnce(node.tlsPort(), true, identity(proxy), roots,
                    SslProvider.OPENSSL, ProbeCaller.Method.UNANNOTATED, null, Map.of());
            assertEquals(Outcome.PERMISSION_DENIED, unannotated.outcome(), unannotated.toString());

            // A method no service registers is denied by the same interceptor, and audited.
            io.grpc.ManagedChannel channel = ProbeCaller.channel(node.tlsPort(), true, identity(proxy), roots,
                    SslProvider.OPENSSL);
            io.gitward.security.audit.AuditLog.Key unknownKey = new io.gitward.security.audit.AuditLog.Key(
                    "spiffe://cell-1.gitward/proxy/proxy-1", "mtls", "none", "UNKNOWN", "deny");
            long before = node.runtime().security().audit().count(unknownKey);
            try {
                io.grpc.MethodDescriptor<byte[], byte[]> unknown = io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder()
                        .setType(io.grpc.MethodDescriptor.MethodType.UNARY).setFullMethodName("gitward.Nope/Nothing")
                        .setRequestMarshaller(new BytesMarshaller()).setResponseMarshaller(new BytesMarshaller()).build();
                io.grpc.StatusRuntimeException denied = org.junit.jupiter.api.Assertions.assertThrows(
                        io.grpc.StatusRuntimeException.class, () -> io.grpc.stub.ClientCalls.blockingUnaryCall(channel, unknown,
                                io.grpc.CallOptions.DEFAULT.withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS),
                                new byte[0]));
                assertEquals(io.grpc.Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
                assertEquals(before + 1, node.runtime().security().audit().count(unknownKey));
            } finally {
                channel.shutdownNow();
            }
        }
    }

    /** Raw bytes, for calling methods that have no generated stub. */
    static final class BytesMarshaller implements io.grpc.MethodDescriptor.Marshaller<byte[]> {
        @Override
        public java.io.InputStream stream(byte[] value) {
            return new java.io.ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(java.io.InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    public static ProbeCaller.ClientIdentity identity(TestPki.NodeFiles files) throws Exception {
        return new ProbeCaller.ClientIdentity(Pem.readPrivateKey(files.key(), null), Pem.readCertificates(files.chain()));
    }
}
