package io.gitward.proxy.store;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@link ClusterStore} on a JDBC database: PostgreSQL, shared by every proxy of the virtual storage, or an
 * embedded H2 file for a single proxy. Every statement is scoped to this store's virtual storage. Writers of one
 * repository are serialized by a row lock ({@code SELECT ... FOR UPDATE}) on the repository, which every proxy on
 * the same database sees. Thread-safe.
 */
public final class JdbcClusterStore implements ClusterStore {
    private final Database database;
    private final String virtualStorage;
    private final Clock clock;
    private final ReplicationQueue queue;

    private JdbcClusterStore(Database database, String virtualStorage, Clock clock) {
        this.database = database;
        this.virtualStorage = virtualStorage;
        this.clock = clock;
        this.queue = new ReplicationQueue(database, virtualStorage, clock);
    }

    /** Connects, reading the password file now, and creates the schema when the database has none. */
    public static JdbcClusterStore open(StoreSettings settings, String virtualStorage) throws StoreException {
        return open(settings, virtualStorage, Clock.systemUTC());
    }

    /**
     * As {@link #open(StoreSettings, String)}, with the clock that stamps intents and jobs.
     *
     * @throws StoreException UNAVAILABLE when the database cannot be reached, INTERNAL when the password file
     *                        cannot be read, the login is refused or the schema belongs to a newer proxy
     */
    public static JdbcClusterStore open(StoreSettings settings, String virtualStorage, Clock clock)
            throws StoreException {
        requireNonNull(settings, "settings");
        requireNonNull(virtualStorage, "virtualStorage");
        requireNonNull(clock, "clock");
        Database database = Database.open(settings, "gitward-store-" + virtualStorage);
        try {
            Schema.ensure(database, clock);
        } catch (StoreException | RuntimeException e) {
            database.close();
            throw e;
        }
        return new JdbcClusterStore(database, virtualStorage, clock);
    }

    @Override
    public Optional<RepositoryState> repository(String relativePath) throws StoreException {
        requireNonNull(relativePath, "relativePath");
        List<RepositoryState> found = database.run("read repository '" + relativePath + "'",
                connection -> states(connection, " AND r.relative_path = ?", relativePath));
        return found.stream().findFirst();
    }

    @Override
    public List<RepositoryState> repositories() throws StoreException {
        return database.run("list repositories", connection -> states(connection, ""));
    }

    /** Repositories with their replicas in one statement, so a concurrent commit is seen whole or not at all. */
    private List<RepositoryState> states(Connection connection, String condition, String... parameters)
            throws SQLException {
        String sql = "SELECT r.relative_path, r.primary_storage, p.storage, p.generation, EXISTS (SELECT 1 FROM"
                + " write_intents i WHERE i.virtual_storage = r.virtual_storage AND i.relative_path = r.relative_path)"
                + " FROM repositories r"
                + " LEFT JOIN replicas p ON p.virtual_storage = r.virtual_storage AND p.relative_path = r.relative_path"
                + " WHERE r.virtual_storage = ?" + condition;
        // Sorted here: the databases' collations order paths differently.
        Map<String, String> primaries = new TreeMap<>();
        Set<String> writing = new HashSet<>();
        Map<String, Map<String, Long>> generations = new TreeMap<>();
        try (PreparedStatement select = connection.prepareStatement(sql)) {
            select.setString(1, virtualStorage);
            for (int i = 0; i < parameters.length; i++) {
                select.setString(i + 2, parameters[i]);
            }
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    String path = rows.getString(1);
                    primaries.put(path, rows.getString(2));
                    if (rows.getBoolean(5)) {
                        writing.add(path);
                    }
                    Map<String, Long> replicas = generations.computeIfAbsent(path, p -> new TreeMap<>());
                    String storage = rows.getString(3);
                    if (storage != null) {
                        replicas.put(storage, rows.getLong(4));
                    }
                }
            }
        }
        List<RepositoryState> states = new ArrayList<>();
        primaries.forEach((path, primary) -> states.add(new RepositoryState(path, primary, generations.get(path),
                writing.contains(path))));
        return states;
    }

    @Override
    public boolean createRepository(String relativePath, String primary, Collection<String> replicas)
            throws StoreException {
        requireNonNull(relativePath, "relativePath");
        requireNonNull(primary, "primary");
        return database.transaction("create repository '" + relativePath + "'",
                connection -> insertRepository(connection, relativePath, primary, replicas));
    }

    @Override
    public OptionalLong createRepository(String relativePath, String primary, Collection<String> replicas, String owner)
            throws StoreException {
        requireNonNull(relativePath, "relativePath");
        requireNonNull(primary, "primary");
        requireNonNull(owner, "owner");
        return database.transaction("create repository '" + relativePath + "'", connection -> {
            if (!insertRepository(connection, relativePath, primary, replicas)) {
                return OptionalLong.empty();
            }
            return OptionalLong.of(JdbcRepositoryWrite.insertIntent(connection, virtualStorage, relativePath, owner,
                    clock.instant()));
        });
    }

    /** Inserts the repository and its replicas at generation 0; false (rolled back) when it already exists. */
    private boolean insertRepository(Connection connection, String relativePath, String primary,
            Collection<String> replicas) throws SQLException {
        List<String> storages = List.copyOf(new LinkedHashSet<>(replicas));
        if (exists(connection, relativePath)) {
            return false;
        }
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO repositories"
                + " (virtual_storage, relative_path, primary_storage, created_at) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, virtualStorage);
            insert.setString(2, relativePath);
            insert.setString(3, primary);
            insert.setLong(4, clock.millis());
            insert.executeUpdate();
        } catch (SQLException e) {
            if (Dialect.isUniqueViolation(e)) {
                // Another proxy created it between our check and our insert.
                connection.rollback();
                return false;
            }
            throw e;
        }
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO replicas"
                + " (virtual_storage, relative_path, storage, generation) VALUES (?, ?, ?, 0)")) {
            for (String storage : storages) {
                insert.setString(1, virtualStorage);
                insert.setString(2, relativePath);
                insert.setString(3, storage);
                insert.addBatch();
            }
            insert.executeBatch();
        }
        return true;
    }

    private boolean exists(Connection connection, String relativePath) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT 1 FROM repositories WHERE virtual_storage = ? AND relative_path = ?")) {
            select.setString(1, virtualStorage);
            select.setString(2, relativePath);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next();
            }
        }
    }

    @Override
    public RepositoryWrite beginWrite(String relativePath, String owner, Duration lockTimeout) throws StoreException {
        requireNonNull(relativePath, "relativePath");
        requireNonNull(owner, "owner");
        requireNonNull(lockTimeout, "lockTimeout");
        return JdbcRepositoryWrite.begin(database, virtualStorage, relativePath, owner, lockTimeout, clock.instant());
    }

    @Override
    public List<WriteIntent> intentsOf(String owner) throws StoreException {
        requireNonNull(owner, "owner");
        return database.run("list the write intents of '" + owner + "'",
                connection -> intents(connection, "owner = ?", owner));
    }

    @Override
    public List<WriteIntent> staleIntents(Instant now, Duration olderThan) throws StoreException {
        long startedBefore = now.minus(olderThan).toEpochMilli();
        return database.run("list stale write intents",
                connection -> intents(connection, "started_at < ?", startedBefore));
    }

    private List<WriteIntent> intents(Connection connection, String condition, Object parameter) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT id, relative_path, owner, started_at"
                + " FROM write_intents WHERE virtual_storage = ? AND " + condition + " ORDER BY id")) {
            select.setString(1, virtualStorage);
            select.setObject(2, parameter);
            List<WriteIntent> intents = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    intents.add(new WriteIntent(rows.getLong(1), rows.getString(2), rows.getString(3),
                            Instant.ofEpochMilli(rows.getLong(4))));
                }
            }
            return intents;
        }
    }

    @Override
    public void enqueueReplication(String relativePath, String target, String source) throws StoreException {
        queue.enqueue(requireNonNull(relativePath, "relativePath"), requireNonNull(target, "target"),
                requireNonNull(source, "source"));
    }

    @Override
    public Optional<ReplicationJob> claimJob(String owner, Instant now, Duration lease) throws StoreException {
        return queue.claim(requireNonNull(owner, "owner"), requireNonNull(now, "now"), requireNonNull(lease, "lease"));
    }

    @Override
    public void completeJob(long id) throws StoreException {
        queue.complete(id);
    }

    @Override
    public void retryJob(long id, String error, Instant notBefore) throws StoreException {
        queue.retry(id, error == null ? "" : error, requireNonNull(notBefore, "notBefore"));
    }

    @Override
    public List<ReplicationJob> jobs() throws StoreException {
        return queue.jobs();
    }

    @Override
    public void close() {
        database.close();
    }
}
