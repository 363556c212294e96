package io.gitward.storage.grpc;

import com.google.protobuf.ByteString;
import io.gitward.proto.InfoRefsRequest;
import io.gitward.proto.InfoRefsResponse;
import io.gitward.proto.PostReceivePackRequest;
import io.gitward.proto.PostReceivePackResponse;
import io.gitward.proto.PostUploadPackRequest;
import io.gitward.proto.PostUploadPackResponse;
import io.gitward.proto.Repository;
import io.gitward.proto.SmartHttpServiceGrpc;
import io.gitward.storage.StorageException;
import io.gitward.storage.StorageSettings.ReceiveLimits;
import io.gitward.storage.pack.ReceiveSession;
import io.gitward.storage.refs.UpdateVoter;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.eclipse.jgit.errors.PackProtocolException;
import org.eclipse.jgit.transport.PacketLineOut;
import org.eclipse.jgit.transport.RefAdvertiser;
import org.eclipse.jgit.transport.UploadPack;
import org.eclipse.jgit.transport.UploadPackInternalServerErrorException;

/**
 * {@code gitward.SmartHttpService}: Git's smart HTTP protocol (v0 and v2) over gRPC streams, as an HTTP
 * gateway forwards it. Bodies are streamed both ways with flow control; JGit runs on the blocking executor.
 */
public final class SmartHttpGrpcService extends SmartHttpServiceGrpc.SmartHttpServiceImplBase {
    private static final int CHUNK = 64 * 1024;

    private final Mutations mutations;
    private final Executor blocking;
    private final ReceiveLimits limits;

    SmartHttpGrpcService(Mutations mutations, Executor blocking, ReceiveLimits limits) {
        this.mutations = mutations;
        this.blocking = blocking;
        this.limits = limits;
    }

    @Override
    public void infoRefsUploadPack(InfoRefsRequest request, StreamObserver<InfoRefsResponse> responses) {
        FlowControlledSender<InfoRefsResponse> sender = new FlowControlledSender<>(responses);
        blocking.execute(() -> serve("InfoRefsUploadPack", responses, () -> {
            List<String> protocol = GitProtocol.parameters(request.getGitProtocol());
            try (org.eclipse.jgit.lib.Repository repository = mutations.store().open(request.getRepository());
                    OutputStream out = chunked(sender, data -> InfoRefsResponse.newBuilder().setData(data).build())) {
                UploadPack upload = uploadPack(repository, protocol);
                upload.sendAdvertisedRefs(new RefAdvertiser.PacketLineOutRefAdvertiser(new PacketLineOut(out)), null);
            }
            sender.complete();
        }));
    }

    @Override
    public void infoRefsReceivePack(InfoRefsRequest request, StreamObserver<InfoRefsResponse> responses) {
        FlowControlledSender<InfoRefsResponse> sender = new FlowControlledSender<>(responses);
        blocking.execute(() -> serve("InfoRefsReceivePack", responses, () -> {
            GitProtocol.parameters(request.getGitProtocol());
            try (org.eclipse.jgit.lib.Repository repository = mutations.store().open(request.getRepository());
                    OutputStream out = chunked(sender, data -> InfoRefsResponse.newBuilder().setData(data).build())) {
                new ReceiveSession(repository, limits).advertise(out);
            }
            sender.complete();
        }));
    }

    @Override
    public StreamObserver<PostUploadPackRequest> postUploadPack(StreamObserver<PostUploadPackResponse> responses) {
        return new Upload<>("PostUploadPack", responses, PostUploadPackRequest::getRepository,
                PostUploadPackRequest::getGitProtocol,
                PostUploadPackRequest::getData) {
            @Override
            void run(Repository repository, String gitProtocol, InputStream in,
                    FlowControlledSender<PostUploadPackResponse> sender) throws StorageException, IOException {
                List<String> protocol = GitProtocol.parameters(gitProtocol);
                try (org.eclipse.jgit.lib.Repository opened = mutations.store().open(repository);
                        OutputStream out = chunked(sender,
                                data -> PostUploadPackResponse.newBuilder().setData(data).build())) {
                    uploadPack(opened, protocol).upload(in, out, null);
                } catch (UploadPackInternalServerErrorException e) {
                    throw new StorageException(StorageException.Kind.INTERNAL, "upload-pack failed: " + e.getMessage(), e);
                }
                sender.complete();
            }
        };
    }

    @Override
    public StreamObserver<PostReceivePackRequest> postReceivePack(StreamObserver<PostReceivePackResponse> responses) {
        return new Upload<>("PostReceivePack", responses, PostReceivePackRequest::getRepository,
                PostReceivePackRequest::getGitProtocol,
                PostReceivePackRequest::getData) {
            @Override
            void run(Repository repository, String gitProtocol, InputStream in,
                    FlowControlledSender<PostReceivePackResponse> sender) throws StorageException, IOException {
                GitProtocol.parameters(gitProtocol);
                UpdateVoter voter = mutations.currentVoter();
                try (org.eclipse.jgit.lib.Repository opened = mutations.store().open(repository);
                        OutputStream out = chunked(sender,
                                data -> PostReceivePackResponse.newBuilder().setData(data).build())) {
                    new ReceiveSession(opened, limits).receive(in, out, (quarantined, changes, publish) ->
                            mutations.applyReferences(repository, quarantined, changes, voter, publish));
                }
                sender.complete();
            }
        };
    }

    private static UploadPack uploadPack(org.eclipse.jgit.lib.Repository repository, List<String> protocol) {
        UploadPack upload = new UploadPack(repository);
        // HTTP is stateless: each POST carries one round of the negotiation.
        upload.setBiDirectionalPipe(false);
        upload.setExtraParameters(protocol);
        return upload;
    }

    private static <R> OutputStream chunked(FlowControlledSender<R> sender, Function<ByteString, R> message) {
        return new ChunkedOutput(CHUNK, (chunk, length) -> sender.send(message.apply(ByteString.copyFrom(chunk, 0, length))));
    }

    /** A blocking body whose failures become the call's status. */
    @FunctionalInterface
    private interface Work {
        void run() throws StorageException, IOException;
    }

    private static void serve(String rpc, StreamObserver<?> responses, Work work) {
        try {
            work.run();
        } catch (StorageException e) {
            responses.onError(Statuses.of(e));
        } catch (EOFException | PackProtocolException e) {
            responses.onError(Statuses.of(new StorageException(StorageException.Kind.INVALID_ARGUMENT, rpc + ": malformed"
                    + " request data (" + e.getMessage() + ")", e)));
        } catch (IOException e) {
            responses.onError(Statuses.of(new StorageException(StorageException.Kind.INTERNAL, rpc + " failed: "
                    + e.getMessage(), e)));
        } catch (RuntimeException e) {
            responses.onError(Statuses.unexpected(rpc, e));
        }
    }

    /**
     * A client-streaming pack request: the first message names the repository and starts the blocking work,
     * whose InputStream is the data of all messages, read with flow control.
     */
    private abstract class Upload<Q, R> implements StreamObserver<Q> {
        private final String rpc;
        private final StreamObserver<R> responses;
        private final FlowControlledSender<R> sender;
        private final InboundStream in;
        private final Function<Q, Repository> repositoryOf;
        private final Function<Q, String> protocolOf;
        private final Function<Q, ByteString> dataOf;
        private boolean started;

        Upload(String rpc, StreamObserver<R> responses, Function<Q, Repository> repositoryOf, Function<Q, String> protocolOf,
                Function<Q, ByteString> dataOf) {
            ServerCallStreamObserver<R> call = (ServerCallStreamObserver<R>) responses;
            this.rpc = rpc;
            call.disableAutoRequest();
            this.responses = responses;
            this.sender = new FlowControlledSender<>(responses);
            this.in = new InboundStream(call);
            this.repositoryOf = repositoryOf;
            this.protocolOf = protocolOf;
            this.dataOf = dataOf;
            call.request(1);
        }

        abstract void run(Repository repository, String gitProtocol, InputStream in, FlowControlledSender<R> sender)
                throws StorageException, IOException;

        @Override
        public void onNext(Q request) {
            if (!started) {
                started = true;
                Repository repository = repositoryOf.apply(request);
                String protocol = protocolOf.apply(request);
                blocking.execute(() -> serve(rpc, responses,
                        () -> run(repository, protocol, in, sender)));
            }
            in.offer(dataOf.apply(request));
        }

        @Override
        public void onError(Throwable error) {
            in.fail(error);
        }

        @Override
        public void onCompleted() {
            if (!started) {
                responses.onError(Statuses.of(StorageException.invalid("the request stream was empty (expected a first"
                        + " message naming the repository)")));
                return;
            }
            in.complete();
        }
    }
}
