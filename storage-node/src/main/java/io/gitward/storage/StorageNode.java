package io.gitward.storage;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeSettings;
import io.grpc.BindableService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The storage node: holds Git repositories under {@code storage.root} and serves them over gRPC. */
public final class StorageNode implements NodeApplication {
    private Path root;

    @Override
    public void configure(GitwardConfig config, NodeSettings settings) {
        root = config.path("storage.root");
        if (root == null) {
            config.problems().add("storage.root", "missing (expected: the directory that holds this node's repositories)");
        } else if (Files.exists(root) && !Files.isDirectory(root)) {
            config.problems().add("storage.root", root + " is not a directory");
        }
    }

    @Override
    public List<BindableService> services(SecurityRuntime security) {
        return List.of();
    }

    public Path root() {
        return root;
    }
}
