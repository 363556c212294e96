package io.gitward.storage;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.storage.access.AccessCheckSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** The {@code storage.*} section, validated in full before anything binds. */
public record StorageSettings(Path root, String name, Duration voteTimeout, Duration replicationTimeout,
        ReceiveLimits receive, AccessCheckSettings accessCheck) {

    /** What a push may send, and whether it may rewrite history. */
    public record ReceiveLimits(long maxPackBytes, long maxObjectBytes, boolean denyNonFastForwards) {
    }

    public static StorageSettings read(GitwardConfig config, String nodeName) {
        Path root = config.path("storage.root");
        if (root == null) {
            config.problems().add("storage.root", "missing (expected: the directory that holds this node's repositories)");
        } else if (Files.exists(root) && !Files.isDirectory(root)) {
            config.problems().add("storage.root", root + " exists and is not a directory (expected a directory)");
        }
        String name = config.string("storage.name");
        if (name == null || name.isEmpty()) {
            name = nodeName;
        } else if (NodeIdentity.nameProblem(name) != null) {
            config.problems().add("storage.name", "'" + name + "' (expected: 1 to 63 of [a-z0-9-], or empty for node.name)");
        }
        Duration vote = config.duration("storage.vote-timeout");
        Duration replication = config.duration("storage.replication-timeout");
        long maxPack = config.bytes("storage.receive.max-pack-size", 1024, Long.MAX_VALUE);
        long maxObject = config.bytes("storage.receive.max-object-size", 1024, Long.MAX_VALUE);
        boolean denyNonFastForwards = config.bool("storage.receive.deny-non-fast-forwards");
        return new StorageSettings(root, name, vote, replication, new ReceiveLimits(maxPack, maxObject,
                denyNonFastForwards), AccessCheckSettings.read(config));
    }
}
