package io.gitward.storage.grpc;

import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.storage.StorageSettings;
import io.gitward.storage.access.AccessCheck;
import io.gitward.storage.pack.Replicator;
import io.gitward.storage.repo.RepositoryStore;
import io.gitward.storage.tx.CoordinatorClient;
import io.gitward.storage.tx.TransactionHeader;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executor;

/** Assembles the storage node's gRPC services, each behind the transaction-header check. */
public final class StorageServices {
    private StorageServices() {
    }

    /**
     * @param blocking runs pack transfers and streamed listings; the call's gRPC context (caller, transaction)
     *                 travels with each task
     * @param accessCheck asked before a push changes references ({@link AccessCheck#OFF} when not configured)
     */
    public static List<BindableService> create(RepositoryStore store, SecurityRuntime security,
            CoordinatorClient coordinator, Executor blocking, StorageSettings settings, AccessCheck accessCheck) {
        Executor contextual = Context.currentContextExecutor(blocking);
        Mutations mutations = new Mutations(store, coordinator);
        TransactionHeader header = new TransactionHeader(security);
        List<BindableService> services = List.of(
                new RepositoryGrpcService(mutations, contextual, settings.receive().maxPackBytes()),
                new RefGrpcService(mutations, contextual),
                new OperationGrpcService(mutations, Clock.systemUTC()),
                new BlobGrpcService(store, contextual),
                new SmartHttpGrpcService(mutations, contextual, settings.receive(), accessCheck),
                new ReplicationGrpcService(store, contextual),
                new MaintenanceGrpcService(store, new Replicator(store, security, settings.replicationTimeout()), contextual));
        return services.stream().map(service -> intercepted(service, header)).toList();
    }

    private static BindableService intercepted(BindableService service, TransactionHeader header) {
        ServerServiceDefinition definition = ServerInterceptors.intercept(service, header);
        return () -> definition;
    }
}
