package io.gitward.storage;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeSettings;
import io.gitward.storage.access.AccessCheck;
import io.gitward.storage.grpc.StorageServices;
import io.gitward.storage.repo.RepositoryLocator;
import io.gitward.storage.repo.RepositoryStore;
import io.gitward.storage.tx.CoordinatorClient;
import io.grpc.BindableService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The storage node: holds Git repositories under {@code storage.root} and serves them over gRPC. */
public final class StorageNode implements NodeApplication {
    private StorageSettings settings;
    private ExecutorService blocking;
    private RepositoryStore store;
    private CoordinatorClient coordinator;
    private AccessCheck accessCheck = AccessCheck.OFF;

    @Override
    public void configure(GitwardConfig config, NodeSettings node) {
        settings = StorageSettings.read(config, node.name());
    }

    @Override
    public List<BindableService> services(SecurityRuntime security) {
        store = new RepositoryStore(locator());
        AtomicInteger threads = new AtomicInteger();
        // Pack transfers and long listings block on I/O and on flow control: never on gRPC's call executor.
        blocking = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "gitward-storage-io-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        coordinator = new CoordinatorClient(security, settings.voteTimeout());
        accessCheck = AccessCheck.create(settings.accessCheck(), security.credentials(), security.settings().provider());
        return StorageServices.create(store, security, coordinator, blocking, settings, accessCheck);
    }

    private RepositoryLocator locator() {
        try {
            Path root = settings.root();
            if (!Files.isDirectory(root)) {
                Files.createDirectories(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));
            }
            return new RepositoryLocator(settings.name(), root);
        } catch (IOException e) {
            throw new UncheckedIOException("storage.root: cannot create or resolve " + settings.root() + " ("
                    + e.getMessage() + "); create it or fix its permissions", e);
        }
    }

    public StorageSettings settings() {
        return settings;
    }

    @Override
    public String prometheusText() {
        return accessCheck.prometheusText();
    }

    @Override
    public void close() {
        accessCheck.close();
        if (coordinator != null) {
            coordinator.close();
        }
        if (blocking != null) {
            blocking.shutdown();
            try {
                blocking.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            blocking.shutdownNow();
        }
        if (store != null) {
            store.close();
        }
    }
}
