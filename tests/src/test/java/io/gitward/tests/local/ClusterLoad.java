package io.gitward.tests.local;

import com.google.protobuf.ByteString;
import io.gitward.cli.client.ClientEndpoint;
import io.gitward.proto.CommitFilesRequest;
import io.gitward.proto.FileAction;
import io.gitward.proto.FindRefRequest;
import io.gitward.proto.OperationServiceGrpc;
import io.gitward.proto.RefServiceGrpc;
import io.gitward.proto.Repository;
import io.gitward.proto.Signature;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.server.ListenAddress;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A steady read/write loop against a local cluster's proxy over ONE long-lived channel, retries off: a commit,
 * then a read of the branch, again and again, bounded in count and time. It presents the client certificate
 * whenever a server asks for one and sends a legacy token with every call (phases 0 and 1 need it), as a
 * client migrating along the phases would. Like any client whose certificates are rotated for it, it reloads
 * them when its projected files change: the next calls go over a new connection, the old one drains. Every
 * failure is kept, and so are the figures of how it went: attempts and failed attempts as the transport saw them
 * (a stream tracer; with retries off one per call), connections established (channel state READY entries, the
 * planned switches after a reload among them) and the commit id of every acknowledged write.
 */
final class ClusterLoad implements AutoCloseable {
    private static final int MAX_CALLS = 100_000;
    private static final long MAX_MILLIS = TimeUnit.MINUTES.toMillis(8);
    /** Each load of a test run writes its own files: a second load on the same branch must not meet the first's. */
    private static final AtomicInteger LOADS = new AtomicInteger();

    private final ClientEndpoint endpoint;
    private final Path files;
    private ClientEndpoint.Connection connection;
    private Path loaded;
    private final Repository repository;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicInteger succeeded = new AtomicInteger();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final Thread thread;
    private final int load = LOADS.incrementAndGet();
    private final AtomicInteger attempts = new AtomicInteger();
    private final AtomicInteger failedAttempts = new AtomicInteger();
    private final AtomicInteger connects = new AtomicInteger();
    private final AtomicInteger switches = new AtomicInteger();
    private final List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
    private final ClientInterceptor counting = new ClientInterceptor() {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            return next.newCall(method, options.withStreamTracerFactory(new ClientStreamTracer.Factory() {
                @Override
                public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
                    attempts.incrementAndGet();
                    return new ClientStreamTracer() {
                        @Override
                        public void streamClosed(Status status) {
                            if (!status.isOk()) {
                                failedAttempts.incrementAndGet();
                            }
                        }
                    };
                }
            }));
        }
    };

    private ClusterLoad(ClientEndpoint endpoint, Path files, String path) throws Exception {
        this.endpoint = endpoint;
        this.files = files;
        this.loaded = Files.readSymbolicLink(files.resolve("..data"));
        this.connection = endpoint.open();
        watchStates(connection.channel(), ConnectivityState.IDLE);
        this.repository = Repository.newBuilder().setStorageName("default").setRelativePath(path).build();
        this.thread = new Thread(this::loop, "cluster-load");
    }

    static ClusterLoad start(Path cluster, String path) throws Exception {
        Path client = cluster.resolve("clients/client-1");
        int port = io.gitward.security.json.Json.mapper().readTree(cluster.resolve("cluster.json").toFile()).get("nodes")
                .get(4).get("tls_port").asInt();
        ClientEndpoint endpoint = new ClientEndpoint(new ListenAddress("127.0.0.1", port), false,
                client.resolve("tls/roots.pem"), client.resolve("tls/crl.pem"), client.resolve("tls/chain.pem"),
                client.resolve("tls/key.pem"), NodeIdentity.of("local.gitward", "proxy", "proxy-1"), client.resolve("token"));
        ClusterLoad load = new ClusterLoad(endpoint, client.resolve("tls"), path);
        load.thread.start();
        return load;
    }

    private void loop() {
        long deadline = System.currentTimeMillis() + MAX_MILLIS;
        for (int i = 0; i < MAX_CALLS && !stop.get() && System.currentTimeMillis() < deadline; i++) {
            try {
                reloadIfChanged();
                if (i % 2 == 0) {
                    Signature me = Signature.newBuilder().setName("Load").setEmail("load@example.com")
                            .setTimeSeconds(1_767_000_000L + i).setTimeSet(true).build();
                    CommitFilesRequest commit = CommitFilesRequest.newBuilder().setRepository(repository).setBranch("main")
                            .setMessage("load " + load + "/" + i).setAuthor(me).setCommitter(me)
                            .addActions(FileAction.newBuilder().setType(FileAction.Type.CREATE)
                                    .setPath("load/" + load + "/" + i + ".txt").setContent(ByteString.copyFromUtf8("load " + i)))
                            .build();
                    acknowledged.add(OperationServiceGrpc.newBlockingStub(connection.calls()).withInterceptors(counting)
                            .withDeadlineAfter(30, TimeUnit.SECONDS).commitFiles(commit).getCommitId());
                } else {
                    RefServiceGrpc.newBlockingStub(connection.calls()).withInterceptors(counting)
                            .withDeadlineAfter(30, TimeUnit.SECONDS)
                            .findRef(FindRefRequest.newBuilder().setRepository(repository).setName("refs/heads/main").build());
                }
                succeeded.incrementAndGet();
            } catch (StatusRuntimeException e) {
                failures.add(java.time.Instant.now() + " call " + i + ": " + e.getStatus().getCode() + " "
                        + e.getStatus().getDescription());
            } catch (Exception e) {
                failures.add(java.time.Instant.now() + " call " + i + ": reloading the client's files: " + e);
            }
        }
    }

    /** New files: a new connection for the next calls; the old one finishes what it carries, then closes. */
    private void reloadIfChanged() throws Exception {
        Path now = Files.readSymbolicLink(files.resolve("..data"));
        if (!now.equals(loaded)) {
            ClientEndpoint.Connection previous = connection;
            connection = endpoint.open();
            watchStates(connection.channel(), ConnectivityState.IDLE);
            switches.incrementAndGet();
            loaded = now;
            previous.channel().shutdown();
        }
    }

    /** Counts every entry into READY: each is a connection established (the first, a switch, or a reconnect). */
    private void watchStates(ManagedChannel channel, ConnectivityState last) {
        channel.notifyWhenStateChanged(last, () -> {
            ConnectivityState now = channel.getState(false);
            if (now == ConnectivityState.READY) {
                connects.incrementAndGet();
            }
            if (now != ConnectivityState.SHUTDOWN) {
                watchStates(channel, now);
            }
        });
    }

    /** Attempts the transport made (one per call with retries off). */
    int attempts() {
        return attempts.get();
    }

    int failedAttempts() {
        return failedAttempts.get();
    }

    /** Connections established beyond the first, planned switches included. */
    int reconnects() {
        return Math.max(0, connects.get() - 1);
    }

    /** New connections opened on purpose, after the client's own certificate files changed. */
    int switches() {
        return switches.get();
    }

    /** The commit ids of acknowledged writes, in order. */
    List<String> acknowledged() {
        synchronized (acknowledged) {
            return List.copyOf(acknowledged);
        }
    }

    int succeeded() {
        return succeeded.get();
    }

    List<String> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    /** Waits until {@code count} calls succeeded in total (at most two minutes). */
    void awaitCalls(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (succeeded.get() < count && System.nanoTime() < deadline && thread.isAlive()) {
            Thread.sleep(50);
        }
        if (succeeded.get() < count) {
            throw new AssertionError("only " + succeeded.get() + " of " + count + " calls succeeded; failures: " + failures());
        }
    }

    void stop() throws InterruptedException {
        stop.set(true);
        thread.join(TimeUnit.SECONDS.toMillis(60));
    }

    @Override
    public void close() {
        stop.set(true);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(60));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        connection.close();
    }
}
