package io.gitward.proxy.store;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One write: a transaction holding the repository's row lock, open until commit, abandon or close. The intent
 * was committed on another connection before this handle exists, so it outlives a crash of this transaction.
 * Changes are kept here and written only by {@link #commit()}, so the transaction holds nothing but the lock.
 */
final class JdbcRepositoryWrite implements RepositoryWrite {
    private final Database database;
    private final Connection connection;
    private final String virtualStorage;
    private final RepositoryState state;
    private final long intentId;
    private final String lockTimeoutReset;
    private final Map<String, Long> generations = new TreeMap<>();
    private final Set<Long> resolvedIntents = new TreeSet<>();
    private String primary;
    private boolean finished;

    private JdbcRepositoryWrite(Database database, Connection connection, String virtualStorage,
            RepositoryState state, long intentId, String lockTimeoutReset) {
        this.database = database;
        this.connection = connection;
        this.virtualStorage = virtualStorage;
        this.state = state;
        this.intentId = intentId;
        this.lockTimeoutReset = lockTimeoutReset;
    }

    /** Locks the repository (waiting up to {@code lockTimeout}), then records the intent. */
    static RepositoryWrite begin(Database database, String virtualStorage, String relativePath, String owner,
            Duration lockTimeout, Instant now) throws StoreException {
        String what = "begin a write of '" + relativePath + "'";
        Connection connection;
        try {
            connection = database.writeConnection();
        } catch (SQLException e) {
            throw database.failure(what, e);
        }
        // Where the setting is the session's (H2), pooled connections wait the pool's lock timeout already, and there
        // any SET invalidates every session's cache of parsed statements (all of them are parsed again): set only a
        // different wait, and put the pool's back afterwards. A transaction-scoped one (PostgreSQL's SET LOCAL) is
        // set on every write, which still holds behind a transaction-pooling bouncer.
        Dialect dialect = database.dialect();
        boolean otherWait = !lockTimeout.equals(database.sessionLockTimeout());
        boolean sessionScoped = dialect.lockTimeoutOutlivesTransaction();
        String lockTimeoutReset = otherWait && sessionScoped ? dialect.sessionLockTimeout(database.sessionLockTimeout())
                : null;
        try {
            if (otherWait || !sessionScoped) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute(dialect.transactionLockTimeout(lockTimeout));
                }
            }
            RepositoryState state = lock(connection, virtualStorage, relativePath);
            if (state == null) {
                throw new StoreException(StoreException.Kind.NOT_FOUND, what + ": no such repository in virtual storage '"
                        + virtualStorage + "'");
            }
            long intentId = database.run(what, intents -> insertIntent(intents, virtualStorage, relativePath, owner,
                    now));
            return new JdbcRepositoryWrite(database, connection, virtualStorage, state, intentId, lockTimeoutReset);
        } catch (SQLException e) {
            release(database, connection, lockTimeoutReset);
            if (dialect.isLockTimeout(e)) {
                throw new StoreException(StoreException.Kind.LOCK_TIMEOUT, what + ": another writer held it longer than "
                        + lockTimeout.toMillis() + "ms", e);
            }
            throw database.failure(what, e);
        } catch (StoreException | RuntimeException e) {
            release(database, connection, lockTimeoutReset);
            throw e;
        }
    }

    /** The repository as it is once locked, or null when it does not exist. */
    private static RepositoryState lock(Connection connection, String virtualStorage, String relativePath)
            throws SQLException {
        String primary;
        try (PreparedStatement select = connection.prepareStatement("SELECT primary_storage FROM repositories"
                + " WHERE virtual_storage = ? AND relative_path = ? FOR UPDATE")) {
            select.setString(1, virtualStorage);
            select.setString(2, relativePath);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    return null;
                }
                primary = rows.getString(1);
            }
        }
        Map<String, Long> generations = new TreeMap<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT storage, generation FROM replicas"
                + " WHERE virtual_storage = ? AND relative_path = ?")) {
            select.setString(1, virtualStorage);
            select.setString(2, relativePath);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    generations.put(rows.getString(1), rows.getLong(2));
                }
            }
        }
        return new RepositoryState(relativePath, primary, generations);
    }

    static long insertIntent(Connection connection, String virtualStorage, String relativePath, String owner,
            Instant now) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO write_intents"
                + " (virtual_storage, relative_path, owner, started_at) VALUES (?, ?, ?, ?)", new String[] {"id"})) {
            insert.setString(1, virtualStorage);
            insert.setString(2, relativePath);
            insert.setString(3, owner);
            insert.setLong(4, now.toEpochMilli());
            insert.executeUpdate();
            try (ResultSet keys = insert.getGeneratedKeys()) {
                if (!keys.next()) {
                    throw new SQLException("no id returned for the new write intent");
                }
                return keys.getLong(1);
            }
        }
    }

    @Override
    public RepositoryState state() {
        return state;
    }

    @Override
    public long intentId() {
        return intentId;
    }

    @Override
    public synchronized void setGeneration(String storage, long generation) {
        checkOpen();
        generations.put(requireNonNull(storage, "storage"), generation);
    }

    @Override
    public synchronized void setPrimary(String storage) {
        checkOpen();
        primary = requireNonNull(storage, "storage");
    }

    @Override
    public synchronized void resolveIntents(Collection<Long> intentIds) {
        checkOpen();
        resolvedIntents.addAll(intentIds);
    }

    @Override
    public synchronized void commit() throws StoreException {
        checkOpen();
        finished = true;
        try {
            if (primary != null) {
                updatePrimary();
            }
            for (Map.Entry<String, Long> entry : generations.entrySet()) {
                upsertGeneration(entry.getKey(), entry.getValue());
            }
            List<Long> intents = new ArrayList<>(resolvedIntents);
            intents.add(intentId);
            deleteIntents(intents);
            connection.commit();
        } catch (SQLException e) {
            throw database.failure("commit the write of '" + state.relativePath() + "'", e);
        } finally {
            release(database, connection, lockTimeoutReset);
        }
    }

    @Override
    public synchronized void abandon() throws StoreException {
        checkOpen();
        finished = true;
        try {
            deleteIntents(List.of(intentId));
            connection.commit();
        } catch (SQLException e) {
            throw database.failure("abandon the write of '" + state.relativePath() + "'", e);
        } finally {
            release(database, connection, lockTimeoutReset);
        }
    }

    @Override
    public synchronized void delete() throws StoreException {
        checkOpen();
        finished = true;
        try {
            // The repository row last: this transaction holds its lock until everything is gone.
            for (String table : List.of("replicas", "write_intents", "replication_jobs", "repositories")) {
                try (PreparedStatement delete = connection.prepareStatement(
                        "DELETE FROM " + table + " WHERE virtual_storage = ? AND relative_path = ?")) {
                    delete.setString(1, virtualStorage);
                    delete.setString(2, state.relativePath());
                    delete.executeUpdate();
                }
            }
            connection.commit();
        } catch (SQLException e) {
            throw database.failure("delete '" + state.relativePath() + "'", e);
        } finally {
            release(database, connection, lockTimeoutReset);
        }
    }

    @Override
    public synchronized void close() {
        if (!finished) {
            finished = true;
            release(database, connection, lockTimeoutReset);
        }
    }

    private void updatePrimary() throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE repositories SET primary_storage = ?"
                + " WHERE virtual_storage = ? AND relative_path = ?")) {
            update.setString(1, primary);
            update.setString(2, virtualStorage);
            update.setString(3, state.relativePath());
            update.executeUpdate();
        }
    }

    /** Update, else insert: safe without MERGE because the row lock keeps every other writer of these rows out. */
    private void upsertGeneration(String storage, long generation) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE replicas SET generation = ?"
                + " WHERE virtual_storage = ? AND relative_path = ? AND storage = ?")) {
            update.setLong(1, generation);
            update.setString(2, virtualStorage);
            update.setString(3, state.relativePath());
            update.setString(4, storage);
            if (update.executeUpdate() > 0) {
                return;
            }
        }
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO replicas"
                + " (virtual_storage, relative_path, storage, generation) VALUES (?, ?, ?, ?)")) {
            insert.setString(1, virtualStorage);
            insert.setString(2, state.relativePath());
            insert.setString(3, storage);
            insert.setLong(4, generation);
            insert.executeUpdate();
        }
    }

    /** Only intents of this repository: an id of another repository's write is left alone. */
    private void deleteIntents(List<Long> ids) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM write_intents"
                + " WHERE id = ? AND virtual_storage = ? AND relative_path = ?")) {
            for (long id : ids) {
                delete.setLong(1, id);
                delete.setString(2, virtualStorage);
                delete.setString(3, state.relativePath());
                delete.addBatch();
            }
            delete.executeBatch();
        }
    }

    private void checkOpen() {
        if (finished) {
            throw new IllegalStateException("the write of '" + state.relativePath() + "' is already committed, abandoned"
                    + " or closed");
        }
    }

    /**
     * Ends the transaction if still open (releasing the row lock), puts back the pool's lock wait when this write
     * chose another ({@code lockTimeoutReset}, null if not), and returns the connection to its pool.
     */
    private static void release(Database database, Connection connection, String lockTimeoutReset) {
        Database.rollbackQuietly(connection);
        if (lockTimeoutReset != null) {
            try (Statement statement = connection.createStatement()) {
                statement.execute(lockTimeoutReset);
            } catch (SQLException e) {
                // It would keep this write's lock wait: the pool must not hand it out again.
                database.discardWriteConnection(connection);
                return;
            }
        }
        try {
            connection.close();
        } catch (SQLException ignored) {
            // Returning a broken connection: the pool has discarded it already.
        }
    }
}
