package io.gitward.proxy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.gitward.security.config.GitwardConfig;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.server.ListenAddress;
import io.gitward.transaction.Strategy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The {@code proxy.*} section (without {@code proxy.store}), validated in full before anything binds. */
public record ProxySettings(String virtualStorage, List<StorageNodeAddress> storages, CoordinatorSettings coordinator,
        Strategy strategy, Duration transactionTimeout, HealthSettings health, ReplicationSettings replication) {

    /** Embedded (null addresses) or a standalone coordinator. */
    public record CoordinatorSettings(boolean embedded, ListenAddress tls, ListenAddress plaintext, String name) {
    }

    public record HealthSettings(Duration interval, Duration timeout, int failures) {
    }

    public record ReplicationSettings(int workers, Duration lease, Duration maxBackoff, Duration reconcileAfter) {
    }

    private static final Set<String> STORAGE_KEYS = Set.of("name", "tls-address", "plaintext-address", "health-address");

    public static ProxySettings read(GitwardConfig config) {
        String virtualStorage = config.string("proxy.virtual-storage");
        if (virtualStorage == null || NodeIdentity.nameProblem(virtualStorage) != null) {
            config.problems().add("proxy.virtual-storage", "'" + virtualStorage + "' (expected: 1 to 63 of [a-z0-9-])");
        }
        List<StorageNodeAddress> storages = storages(config);
        CoordinatorSettings coordinator = coordinator(config);
        Strategy strategy = config.enumValue("proxy.transactions.strategy", Strategy.class, Strategy.MAJORITY);
        Duration timeout = config.duration("proxy.transactions.timeout");
        HealthSettings health = new HealthSettings(config.duration("proxy.health.interval"),
                config.duration("proxy.health.timeout"), config.integer("proxy.health.failures", 1, 100));
        ReplicationSettings replication = new ReplicationSettings(config.integer("proxy.replication.workers", 1, 64),
                config.duration("proxy.replication.lease"), config.duration("proxy.replication.max-backoff"),
                config.duration("proxy.replication.reconcile-after"));
        return new ProxySettings(virtualStorage, storages, coordinator, strategy, timeout, health, replication);
    }

    private static List<StorageNodeAddress> storages(GitwardConfig config) {
        List<StorageNodeAddress> storages = new ArrayList<>();
        List<? extends Config> entries;
        try {
            entries = config.raw().getConfigList("proxy.storages");
        } catch (ConfigException e) {
            config.problems().add("proxy.storages", "expected a list of {name, tls-address, plaintext-address,"
                    + " health-address} objects");
            return storages;
        }
        if (entries.isEmpty()) {
            config.problems().add("proxy.storages", "empty (expected at least one storage node)");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < entries.size(); i++) {
            Config entry = entries.get(i);
            String key = "proxy.storages[" + i + "]";
            for (String present : entry.root().keySet()) {
                if (!STORAGE_KEYS.contains(present)) {
                    config.problems().add(key + "." + present, "unknown key (expected: " + STORAGE_KEYS + ")");
                }
            }
            String name = entry.hasPath("name") ? entry.getString("name") : null;
            if (name == null || NodeIdentity.nameProblem(name) != null) {
                config.problems().add(key + ".name", "'" + name + "' (expected: the node's name, 1 to 63 of [a-z0-9-])");
                continue;
            }
            if (!names.add(name)) {
                config.problems().add(key + ".name", "'" + name + "' is listed twice");
            }
            ListenAddress tls = address(config, entry, key, "tls-address", true);
            ListenAddress plaintext = address(config, entry, key, "plaintext-address", false);
            ListenAddress health = address(config, entry, key, "health-address", true);
            if (tls != null && health != null) {
                storages.add(new StorageNodeAddress(name, tls, plaintext, health));
            }
        }
        return List.copyOf(storages);
    }

    private static ListenAddress address(GitwardConfig config, Config entry, String key, String field, boolean required) {
        String value = entry.hasPath(field) ? entry.getString(field) : "";
        if (value.isEmpty()) {
            if (required) {
                config.problems().add(key + "." + field, "missing (expected host:port)");
            }
            return null;
        }
        try {
            return ListenAddress.parse(value);
        } catch (IllegalArgumentException e) {
            config.problems().add(key + "." + field, "'" + value + "' (expected host:port): " + e.getMessage());
            return null;
        }
    }

    private static CoordinatorSettings coordinator(GitwardConfig config) {
        String mode = config.string("proxy.coordinator.mode");
        if ("embedded".equals(mode)) {
            return new CoordinatorSettings(true, null, null, null);
        }
        if (!"standalone".equals(mode)) {
            config.problems().add("proxy.coordinator.mode", "'" + mode + "' (expected: embedded or standalone)");
            return new CoordinatorSettings(true, null, null, null);
        }
        String name = config.string("proxy.coordinator.name");
        if (name == null || NodeIdentity.nameProblem(name) != null) {
            config.problems().add("proxy.coordinator.name", "'" + name + "' (expected: the coordinator's node name)");
        }
        ListenAddress tls = optionalAddress(config, "proxy.coordinator.tls-address");
        ListenAddress plaintext = optionalAddress(config, "proxy.coordinator.plaintext-address");
        if (tls == null && plaintext == null) {
            config.problems().add("proxy.coordinator.tls-address", "missing (expected host:port of a standalone"
                    + " coordinator)");
        }
        return new CoordinatorSettings(false, tls, plaintext, name);
    }

    private static ListenAddress optionalAddress(GitwardConfig config, String key) {
        String value = config.string(key);
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            return ListenAddress.parse(value);
        } catch (IllegalArgumentException e) {
            config.problems().add(key, "'" + value + "' (expected host:port): " + e.getMessage());
            return null;
        }
    }
}
