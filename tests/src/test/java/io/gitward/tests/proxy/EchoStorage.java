package io.gitward.tests.proxy;

import io.gitward.security.authz.MethodInfo;
import io.gitward.security.authz.MethodRegistry;
import io.gitward.security.config.GitwardConfig;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeSettings;
import io.grpc.BindableService;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in storage node (real node runtime, a storage certificate, mTLS) whose Gitward methods answer with the
 * bytes they received: each message straight back (a client stream: all of them, concatenated, at the end). What
 * it saw — headers, messages, cancellations — is recorded, so tests can tell exactly what the proxy forwarded.
 * The {@code x-request-id} header, which the proxy forwards, carries instructions: {@code sleep} (never answer),
 * {@code fail} (ABORTED with a trailer).
 */
public final class EchoStorage implements NodeApplication {
    static final Metadata.Key<String> REQUEST_ID = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> DETAIL = Metadata.Key.of("x-detail", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> ECHO = Metadata.Key.of("x-echo", Metadata.ASCII_STRING_MARSHALLER);

    /** One call as the stand-in saw it. */
    public record Seen(String method, Metadata headers, List<byte[]> messages) {
    }

    final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
    final AtomicInteger cancellations = new AtomicInteger();

    @Override
    public void configure(GitwardConfig config, NodeSettings settings) {
    }

    @Override
    public List<BindableService> services(SecurityRuntime security) {
        Map<String, ServerServiceDefinition.Builder> services = new TreeMap<>();
        for (MethodInfo info : MethodRegistry.instance().all().values()) {
            if (!info.fullMethodName().startsWith("gitward.") || info.fullMethodName().startsWith("gitward.testing.")) {
                continue;
            }
            MethodDescriptor<byte[], byte[]> descriptor = MethodDescriptor.<byte[], byte[]>newBuilder()
                    .setType(type(info)).setFullMethodName(info.fullMethodName()).setRequestMarshaller(RAW)
                    .setResponseMarshaller(RAW).build();
            services.computeIfAbsent(MethodDescriptor.extractFullServiceName(info.fullMethodName()),
                    ServerServiceDefinition::builder).addMethod(descriptor, echo(info));
        }
        List<BindableService> bindable = new ArrayList<>();
        services.values().forEach(builder -> {
            ServerServiceDefinition definition = builder.build();
            bindable.add(() -> definition);
        });
        return bindable;
    }

    private ServerCallHandler<byte[], byte[]> echo(MethodInfo info) {
        return (call, headers) -> {
            List<byte[]> messages = new ArrayList<>();
            seen.add(new Seen(info.fullMethodName(), headers, messages));
            String instruction = headers.get(REQUEST_ID);
            Metadata responseHeaders = new Metadata();
            responseHeaders.put(ECHO, "yes");
            call.sendHeaders(responseHeaders);
            call.request(1);
            return new ServerCall.Listener<>() {
                private final ByteArrayOutputStream all = new ByteArrayOutputStream();

                @Override
                public void onMessage(byte[] message) {
                    synchronized (messages) {
                        messages.add(message);
                    }
                    if ("sleep".equals(instruction)) {
                        return;
                    }
                    if (info.clientStreaming() && !info.serverStreaming()) {
                        all.writeBytes(message);
                    } else {
                        call.sendMessage(message);
                    }
                    call.request(1);
                }

                @Override
                public void onHalfClose() {
                    if ("sleep".equals(instruction)) {
                        return;
                    }
                    if (info.clientStreaming() && !info.serverStreaming()) {
                        call.sendMessage(all.toByteArray());
                    }
                    Metadata trailers = new Metadata();
                    trailers.put(DETAIL, "echoed " + messages.size() + " message(s)");
                    call.close("fail".equals(instruction) ? Status.ABORTED.withDescription("told to fail") : Status.OK,
                            trailers);
                }

                @Override
                public void onCancel() {
                    cancellations.incrementAndGet();
                }
            };
        };
    }

    static MethodDescriptor.MethodType type(MethodInfo info) {
        if (info.clientStreaming()) {
            return info.serverStreaming() ? MethodDescriptor.MethodType.BIDI_STREAMING
                    : MethodDescriptor.MethodType.CLIENT_STREAMING;
        }
        return info.serverStreaming() ? MethodDescriptor.MethodType.SERVER_STREAMING : MethodDescriptor.MethodType.UNARY;
    }

    static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
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
}
