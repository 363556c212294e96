package io.gitward.tests.local;

import com.google.protobuf.ByteString;
import io.gitward.proto.PostUploadPackRequest;
import io.gitward.proto.PostUploadPackResponse;
import io.gitward.proto.Repository;
import io.gitward.proto.SmartHttpServiceGrpc;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A long-lived bidirectional stream through the proxy: a Git fetch ({@code PostUploadPack}) whose request is sent
 * in two halves — the {@code want} line at once, the flush and {@code done} only when the test says so — so the
 * stream stays open client → proxy → storage node for as long as the test runs, carrying no data in between.
 * At the end the storage node answers with a pack: the stream did not only stay open, it still works.
 */
final class HeldFetch {
    private static final Duration DEADLINE = Duration.ofMinutes(10);

    private final StreamObserver<PostUploadPackRequest> requests;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private final AtomicReference<Throwable> error = new AtomicReference<>();
    private final CountDownLatch ended = new CountDownLatch(1);

    private HeldFetch(Channel channel, Repository repository, String want) {
        requests = SmartHttpServiceGrpc.newStub(channel).withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                .postUploadPack(new StreamObserver<>() {
                    @Override
                    public void onNext(PostUploadPackResponse response) {
                        synchronized (received) {
                            received.writeBytes(response.getData().toByteArray());
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        error.set(t);
                        ended.countDown();
                    }

                    @Override
                    public void onCompleted() {
                        ended.countDown();
                    }
                });
        requests.onNext(PostUploadPackRequest.newBuilder().setRepository(repository)
                .setData(ByteString.copyFrom(pktLine("want " + want + "\n"), StandardCharsets.US_ASCII)).build());
    }

    /** Opens the fetch of {@code want} (a commit id) and sends its first half. */
    static HeldFetch open(Channel channel, Repository repository, String want) {
        return new HeldFetch(channel, repository, want);
    }

    /** True while the stream has neither failed nor ended. */
    boolean open() {
        return ended.getCount() > 0;
    }

    /** How it ended early, or null. */
    Throwable error() {
        return error.get();
    }

    /** Sends the rest of the request and returns the whole answer (a NAK and a pack). */
    String finish(Duration timeout) throws InterruptedException {
        if (!open()) {
            throw new AssertionError("the held fetch ended before it was finished", error.get());
        }
        requests.onNext(PostUploadPackRequest.newBuilder()
                .setData(ByteString.copyFrom("0000" + pktLine("done\n"), StandardCharsets.US_ASCII)).build());
        requests.onCompleted();
        if (!ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the held fetch did not answer within " + timeout);
        }
        if (error.get() != null) {
            throw new AssertionError("the held fetch failed when finished", error.get());
        }
        synchronized (received) {
            return received.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private static String pktLine(String payload) {
        return String.format("%04x", payload.length() + 4) + payload;
    }
}
