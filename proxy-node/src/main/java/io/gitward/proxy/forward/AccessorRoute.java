package io.gitward.proxy.forward;

import io.gitward.proto.Repository;
import io.gitward.proxy.route.Router;
import io.gitward.proxy.store.RepositoryState;
import io.gitward.proxy.store.StoreException;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * A read: one healthy, up-to-date replica serves it — the primary when the caller asks for it
 * ({@code gitward-route: primary}) or while any proxy writes to the repository (this one's in-flight set, or an
 * open write intent in the shared store), so no reader sees a write on one replica and not yet on the next.
 */
final class AccessorRoute implements ProxiedCall.Route {
    static final Metadata.Key<String> ROUTE = Metadata.Key.of("gitward-route", Metadata.ASCII_STRING_MARSHALLER);

    private final RouteContext context;

    AccessorRoute(RouteContext context) {
        this.context = context;
    }

    @Override
    public void start(ProxiedCall call, Repository repository) throws ProxiedCall.RouteException {
        Routes.checkTarget(repository, context);
        RepositoryState state;
        try {
            Optional<RepositoryState> cached = context.store().cachedRepository(repository.getRelativePath());
            state = (cached.isPresent() ? cached : context.store().repository(repository.getRelativePath()))
                    .orElseThrow(() -> Routes.unknown(repository));
        } catch (StoreException e) {
            throw Routes.refusal(e);
        }
        boolean primaryOnly = "primary".equals(call.inboundHeader(ROUTE))
                || context.inFlight().active(repository.getRelativePath()) || state.writing();
        try {
            String storage = Router.readReplica(state, context.health()::healthy, primaryOnly);
            call.open(storage, context.nodes().channel(storage), true, new Metadata());
        } catch (Router.NoReplicaException e) {
            throw Routes.refusal(e);
        } catch (SSLException e) {
            throw new ProxiedCall.RouteException(Status.UNAVAILABLE.withDescription("cannot set up TLS to storage: "
                    + e.getMessage()));
        }
    }

    /**
     * In place (on the transport thread) when the store holds the repository's state in memory: the rest is a
     * choice among replicas and a channel, dialed lazily; a database read goes to the routing executor.
     */
    @Override
    public boolean startMayWait(Repository repository) {
        return repository != null && context.store().cachedRepository(repository.getRelativePath()).isEmpty();
    }

    @Override
    public void finish(ProxiedCall call) {
        for (Upstream upstream : call.upstreams()) {
            if (upstream.closed()) {
                call.close(upstream.status(), upstream.trailers());
            }
        }
    }
}
