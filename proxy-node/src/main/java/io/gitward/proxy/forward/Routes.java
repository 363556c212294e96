package io.gitward.proxy.forward;

import io.gitward.proto.Repository;
import io.gitward.proxy.route.Router;
import io.gitward.proxy.store.StoreException;
import io.grpc.Status;

/** Checks and status mapping shared by the read and write routes. */
final class Routes {
    private Routes() {
    }

    static void checkTarget(Repository repository, RouteContext context) throws ProxiedCall.RouteException {
        if (repository == null || repository.getRelativePath().isEmpty()) {
            throw new ProxiedCall.RouteException(Status.INVALID_ARGUMENT.withDescription("repository: missing (expected"
                    + " storage_name and relative_path in the first message)"));
        }
        if (!repository.getStorageName().equals(context.virtualStorage())) {
            throw new ProxiedCall.RouteException(Status.INVALID_ARGUMENT.withDescription("repository.storage_name: '"
                    + repository.getStorageName() + "' is not served here (this proxy serves '" + context.virtualStorage()
                    + "')"));
        }
    }

    static ProxiedCall.RouteException refusal(StoreException e) {
        Status status = switch (e.kind()) {
            case NOT_FOUND -> Status.NOT_FOUND;
            case LOCK_TIMEOUT -> Status.ABORTED;
            case UNAVAILABLE -> Status.UNAVAILABLE;
            case INTERNAL -> Status.INTERNAL;
        };
        return new ProxiedCall.RouteException(status.withDescription(e.getMessage()));
    }

    static ProxiedCall.RouteException refusal(Router.NoReplicaException e) {
        return new ProxiedCall.RouteException(Status.UNAVAILABLE.withDescription(e.getMessage()));
    }

    static ProxiedCall.RouteException unknown(Repository repository) {
        return new ProxiedCall.RouteException(Status.NOT_FOUND.withDescription("repository " + repository.getRelativePath()
                + " does not exist in virtual storage " + repository.getStorageName()));
    }
}
