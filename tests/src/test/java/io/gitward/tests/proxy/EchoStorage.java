package io.gitward.tests.proxy;

import io.gitward.security.authz.MethodInfo;
import io.gitward.security.authz.MethodRegistry;
import io.gitward.security.config.GitwardConfig;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeKind;
import io.gitward.security.server.NodeRuntime;
import io.gitward.security.server.NodeSettings;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Deadline;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in storage node (real node runtime, a storage certificate, mTLS), run as its own process by
 * {@link #main}, whose Gitward methods answer with the bytes they received: each message straight back (a client
 * stream: all of them, concatenated, at the end). What it sees — each call's method, deadline and headers, each
 * message, each cancellation — goes to a journal file in its data directory ({@link EchoJournal} reads it), so
 * tests can tell exactly what the proxy forwarded. The {@code x-request-id} header, which the proxy forwards,
 * carries instructions: {@code sleep} (never answer), {@code fail} (ABORTED with a trailer).
 */
public final class EchoStorage implements NodeApplication {
    static final Metadata.Key<String> REQUEST_ID = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> DETAIL = Metadata.Key.of("x-detail", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> ECHO = Metadata.Key.of("x-echo", Metadata.ASCII_STRING_MARSHALLER);

    private final AtomicInteger calls = new AtomicInteger();
    private EchoJournal.Writer journal;

    /** {@code --config FILE}: runs until SIGTERM/SIGKILL. */
    public static void main(String[] args) throws Exception {
        if (args.length != 2 || !args[0].equals("--config")) {
            System.err.println("usage: EchoStorage --config FILE");
            System.exit(2);
        }
        NodeRuntime runtime = NodeRuntime.start(NodeKind.STORAGE, Path.of(args[1]), System.getenv(), new EchoStorage());
        Runtime.getRuntime().addShutdownHook(new Thread(runtime::close, "echo-shutdown"));
        runtime.awaitTermination();
    }

    @Override
    public void configure(GitwardConfig config, NodeSettings settings) {
        journal = new EchoJournal.Writer(EchoJournal.file(settings.dataDirectory()));
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
            int id = calls.incrementAndGet();
            Deadline deadline = Context.current().getDeadline();
            journal.call(id, info.fullMethodName(), deadline == null ? -1 : deadline.timeRemaining(TimeUnit.MILLISECONDS),
                    headers);
            AtomicInteger received = new AtomicInteger();
            String instruction = headers.get(REQUEST_ID);
            Metadata responseHeaders = new Metadata();
            responseHeaders.put(ECHO, "yes");
            call.sendHeaders(responseHeaders);
            call.request(1);
            return new ServerCall.Listener<>() {
                private final ByteArrayOutputStream all = new ByteArrayOutputStream();

                @Override
                public void onMessage(byte[] message) {
                    received.incrementAndGet();
                    journal.message(id, message);
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
                    trailers.put(DETAIL, "echoed " + received.get() + " message(s)");
                    call.close("fail".equals(instruction) ? Status.ABORTED.withDescription("told to fail") : Status.OK,
                            trailers);
                }

                @Override
                public void onCancel() {
                    journal.cancel(id);
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
