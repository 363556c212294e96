package io.gitward.proxy.replication;

import io.gitward.proto.ChecksumRequest;
import io.gitward.proto.MaintenanceServiceGrpc;
import io.gitward.proto.RemoveRepositoryRequest;
import io.gitward.proto.ReplicateFromRequest;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proxy.StorageNodeAddress;
import io.gitward.proxy.route.StorageNodes;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/** The proxy's own calls to storage nodes: checksums, "replicate from", and removing a failed creation's copy. */
public final class ReplicaCalls {
    private final StorageNodes nodes;
    private final String virtualStorage;

    public ReplicaCalls(StorageNodes nodes, String virtualStorage) {
        this.nodes = nodes;
        this.virtualStorage = virtualStorage;
    }

    /** The replica's reference checksum. */
    public String checksum(String storage, String relativePath, Duration timeout) throws ReplicaCallException {
        try {
            return MaintenanceServiceGrpc.newBlockingStub(nodes.channel(storage))
                    .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .checksum(ChecksumRequest.newBuilder().setRepository(repository(relativePath)).build()).getChecksum();
        } catch (StatusRuntimeException | SSLException e) {
            throw new ReplicaCallException(storage + ": checksum of " + relativePath + " failed: " + describe(e), e);
        }
    }

    /** Makes {@code target}'s copy equal to {@code source}'s: the target pulls with its own identity. */
    public String replicate(String target, String source, String relativePath, Duration timeout)
            throws ReplicaCallException {
        StorageNodeAddress from = nodes.address(source);
        ReplicateFromRequest.Builder request = ReplicateFromRequest.newBuilder().setRepository(repository(relativePath))
                .setSource(repository(relativePath)).setSourceTlsAddress(from.tls().format())
                .setSourceIdentity(nodes.endpoint(source).identity().toString());
        if (from.plaintext() != null) {
            request.setSourcePlaintextAddress(from.plaintext().format());
        }
        try {
            return MaintenanceServiceGrpc.newBlockingStub(nodes.channel(target))
                    .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS).replicateFrom(request.build())
                    .getChecksum();
        } catch (StatusRuntimeException | SSLException e) {
            throw new ReplicaCallException(target + ": replicating " + relativePath + " from " + source + " failed: "
                    + describe(e), e);
        }
    }

    /** Removes the replica's copy (of a creation that failed on the primary, so the cluster does not keep it). */
    public void remove(String storage, String relativePath, Duration timeout) throws ReplicaCallException {
        try {
            RepositoryServiceGrpc.newBlockingStub(nodes.channel(storage))
                    .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .removeRepository(RemoveRepositoryRequest.newBuilder().setRepository(repository(relativePath)).build());
        } catch (StatusRuntimeException | SSLException e) {
            throw new ReplicaCallException(storage + ": removing " + relativePath + " failed: " + describe(e), e);
        }
    }

    private Repository repository(String relativePath) {
        return Repository.newBuilder().setStorageName(virtualStorage).setRelativePath(relativePath).build();
    }

    private static String describe(Exception e) {
        if (e instanceof StatusRuntimeException status) {
            return status.getStatus().getCode() + " " + status.getStatus().getDescription();
        }
        return e.getMessage();
    }

    /** A maintenance call that did not succeed. */
    public static final class ReplicaCallException extends Exception {
        private static final long serialVersionUID = 1L;

        public ReplicaCallException(String message, Throwable cause) {
            super(message, cause);
        }

        /** The replica answered that it has no such repository. */
        public boolean notFound() {
            return getCause() instanceof StatusRuntimeException status
                    && status.getStatus().getCode() == Status.Code.NOT_FOUND;
        }
    }
}
