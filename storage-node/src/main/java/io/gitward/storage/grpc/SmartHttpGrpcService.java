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
import io.gitward.storage.access.AccessCheck;
import io.gitward.storage.pack.ReceiveSession;
import io.gitward.storage.refs.UpdateVoter;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Function;
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
    private final AccessCheck accessCheck;

    SmartHttpGrpcService(Mutations mutations, Executor blocking, ReceiveLimits limits, AccessCheck accessCheck) {
        this.mutations = mutations;
        this.blocking = blocking;
        this.limits = limits;
        this.accessCheck = accessCheck;
    }

    @Override
    public void infoRefsUploadPack(InfoRefsRequest request, StreamObserver<InfoRefsResponse> responses) {
        FlowControlledSender<InfoRefsResponse> sender = new FlowControlledSender<>(responses);
        blocking.execute(() -> StreamedUpload.serve("InfoRefsUploadPack", responses, () -> {
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
        blocking.execute(() -> StreamedUpload.serve("InfoRefsReceivePack", responses, () -> {
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
        return new StreamedUpload<>("PostUploadPack", blocking, responses, PostUploadPackRequest::getRepository,
                PostUploadPackRequest::getGitProtocol,
                PostUploadPackRequest::getData) {
            @Override
            protected void run(Repository repository, String gitProtocol, InputStream in,
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
        return new StreamedUpload<>("PostReceivePack", blocking, responses, PostReceivePackRequest::getRepository,
                PostReceivePackRequest::getGitProtocol,
                PostReceivePackRequest::getData) {
            @Override
            protected void run(Repository repository, String gitProtocol, InputStream in,
                    FlowControlledSender<PostReceivePackResponse> sender) throws StorageException, IOException {
                GitProtocol.parameters(gitProtocol);
                UpdateVoter voter = mutations.currentVoter();
                try (org.eclipse.jgit.lib.Repository opened = mutations.store().open(repository);
                        OutputStream out = chunked(sender,
                                data -> PostReceivePackResponse.newBuilder().setData(data).build())) {
                    // The access check comes after the objects are in quarantine and before the lock and the vote:
                    // a refusal is voted (see AccessCheck) and reported as "ng <ref> <reason>"; the quarantine goes.
                    new ReceiveSession(opened, limits).receive(in, out, (quarantined, changes, publish) -> {
                        accessCheck.authorize(repository, changes, voter);
                        mutations.applyReferences(repository, quarantined, changes, voter, publish);
                    });
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
}
