package io.gitward.storage.grpc;

import com.google.protobuf.ByteString;
import io.gitward.proto.Repository;
import io.gitward.storage.StorageException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.eclipse.jgit.errors.PackProtocolException;

/**
 * A client-streaming upload (a push, a bundle): the first message names the repository and starts the blocking
 * work on the blocking executor; the work reads the data of all messages as one InputStream, with flow control.
 *
 * @param <Q> request message
 * @param <R> response message
 */
abstract class StreamedUpload<Q, R> implements StreamObserver<Q> {
    /** A blocking body whose failures become the call's status. */
    @FunctionalInterface
    interface Work {
        void run() throws StorageException, IOException;
    }

    private final String rpc;
    private final Executor blocking;
    private final StreamObserver<R> responses;
    private final FlowControlledSender<R> sender;
    private final InboundStream in;
    private final Function<Q, Repository> repositoryOf;
    private final Function<Q, String> protocolOf;
    private final Function<Q, ByteString> dataOf;
    private boolean started;

    StreamedUpload(String rpc, Executor blocking, StreamObserver<R> responses, Function<Q, Repository> repositoryOf,
            Function<Q, String> protocolOf, Function<Q, ByteString> dataOf) {
        ServerCallStreamObserver<R> call = (ServerCallStreamObserver<R>) responses;
        call.disableAutoRequest();
        this.rpc = rpc;
        this.blocking = blocking;
        this.responses = responses;
        this.sender = new FlowControlledSender<>(responses);
        this.in = new InboundStream(call);
        this.repositoryOf = repositoryOf;
        this.protocolOf = protocolOf;
        this.dataOf = dataOf;
        call.request(1);
    }

    /** The work: read {@code in}, answer through {@code sender} (and complete it). */
    protected abstract void run(Repository repository, String gitProtocol, InputStream in, FlowControlledSender<R> sender)
            throws StorageException, IOException;

    @Override
    public void onNext(Q request) {
        if (!started) {
            started = true;
            Repository repository = repositoryOf.apply(request);
            String protocol = protocolOf.apply(request);
            blocking.execute(() -> serve(rpc, responses, () -> run(repository, protocol, in, sender)));
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

    /** Runs {@code work}, turning its failures into the call's status. */
    static void serve(String rpc, StreamObserver<?> responses, Work work) {
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
}
