package io.gitward.tests.storage;

import com.google.protobuf.ByteString;
import io.gitward.proto.PostReceivePackRequest;
import io.gitward.proto.PostReceivePackResponse;
import io.gitward.proto.Repository;
import io.gitward.proto.SmartHttpServiceGrpc;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Collects the response of a PostReceivePack call: Git's report ("unpack ok", "ok refs/heads/main", ...). */
public final class ReceivePackReport implements StreamObserver<PostReceivePackResponse> {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final CompletableFuture<String> report = new CompletableFuture<>();

    /** Sends {@code body} as one message and returns the report; a failed call throws its status. */
    public static String push(SmartHttpServiceGrpc.SmartHttpServiceStub stub, Repository repository, byte[] body)
            throws Exception {
        ReceivePackReport report = new ReceivePackReport();
        StreamObserver<PostReceivePackRequest> requests = stub.withDeadlineAfter(60, TimeUnit.SECONDS)
                .postReceivePack(report);
        requests.onNext(PostReceivePackRequest.newBuilder().setRepository(repository).setData(ByteString.copyFrom(body))
                .build());
        requests.onCompleted();
        return report.await();
    }

    @Override
    public void onNext(PostReceivePackResponse response) {
        out.writeBytes(response.getData().toByteArray());
    }

    @Override
    public void onError(Throwable error) {
        report.completeExceptionally(error);
    }

    @Override
    public void onCompleted() {
        report.complete(out.toString(StandardCharsets.ISO_8859_1));
    }

    /** The report once the call ended; rethrows the call's failure (unwrapped). */
    public String await() throws Exception {
        try {
            return report.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }
}
