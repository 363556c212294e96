package io.gitward.tests.local;

import io.gitward.proto.FindRefRequest;
import io.gitward.proto.RefServiceGrpc;
import io.gitward.proto.Repository;
import io.gitward.proto.TransactionContext;
import io.gitward.proto.UpdateReferencesRequest;
import io.gitward.security.x509.Pem;
import io.gitward.storage.tx.TransactionHeader;
import io.gitward.tests.security.ProbeCaller;
import io.gitward.tests.storage.Requests;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes a storage node dial the coordinator with its own certificate, on demand: as a proxy would, it sends the node
 * a transactional reference update whose header names the real coordinator and a transaction the coordinator does
 * not know. A vote that reaches the coordinator comes back ABORTED (nothing changes); a vote the coordinator refuses
 * at the handshake or on the connection comes back UNAVAILABLE, UNAUTHENTICATED or PERMISSION_DENIED. The probe's
 * own channel checks no CRL, so it still reaches a node whose certificate is revoked.
 */
final class VoteProbe implements AutoCloseable {
    private final ManagedChannel channel;
    private final String storage;
    private final String coordinatorAddress;
    private final String coordinatorIdentity;
    private final Repository repository;
    private final String target;
    private final AtomicInteger probes = new AtomicInteger();

    private VoteProbe(ManagedChannel channel, String storage, String coordinatorAddress, String coordinatorIdentity,
            Repository repository) {
        this.channel = channel;
        this.storage = storage;
        this.coordinatorAddress = coordinatorAddress;
        this.coordinatorIdentity = coordinatorIdentity;
        this.repository = repository;
        this.target = RefServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .findRef(FindRefRequest.newBuilder().setRepository(repository).setName("refs/heads/main").build())
                .getReference().getTarget();
    }

    /**
     * A probe of {@code storage} (TLS port {@code port}) as the proxy identity in {@code identityDir} (key.pem,
     * chain.pem), trusting {@code roots}; votes go to the coordinator at {@code coordinatorAddress}.
     */
    static VoteProbe open(String storage, int port, Path identityDir, Path roots, String coordinatorAddress,
            String coordinatorIdentity, Repository repository) throws Exception {
        ManagedChannel channel = ProbeCaller.channel(port, true, new ProbeCaller.ClientIdentity(
                Pem.readPrivateKey(identityDir.resolve("key.pem"), null), Pem.readCertificates(identityDir.resolve(
                "chain.pem"))), Pem.readCertificates(roots), SslProvider.OPENSSL);
        return new VoteProbe(channel, storage, coordinatorAddress, coordinatorIdentity, repository);
    }

    /** One vote; its status code. */
    Status.Code vote() {
        int probe = probes.incrementAndGet();
        Metadata headers = new Metadata();
        headers.put(TransactionHeader.KEY, TransactionContext.newBuilder().setTransactionId("vote-probe-" + probe)
                .setVoter(storage).setCoordinatorTlsAddress(coordinatorAddress).setCoordinatorIdentity(coordinatorIdentity)
                .build());
        try {
            RefServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .withDeadlineAfter(10, TimeUnit.SECONDS).updateReferences(UpdateReferencesRequest.newBuilder()
                            .setRepository(repository).addUpdates(Requests.refUpdate("refs/heads/vote-probe-" + probe, "",
                                    target)).build());
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    static boolean refused(Status.Code code) {
        return code == Status.Code.UNAVAILABLE || code == Status.Code.UNAUTHENTICATED
                || code == Status.Code.PERMISSION_DENIED;
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
