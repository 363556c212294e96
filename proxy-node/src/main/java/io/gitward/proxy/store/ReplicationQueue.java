package io.gitward.proxy.store;

import io.gitward.proxy.store.ClusterStore.ReplicationJob;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The replication jobs of one virtual storage. Safe between proxies without locks held across statements: a job
 * is claimed by a conditional update that only one claimer can win, and the one-pending-job-per-target rule is a
 * unique constraint, so racing enqueues fall back to updating the job that won.
 */
final class ReplicationQueue {
    /** The width of {@code last_error}. */
    static final int MAX_ERROR_LENGTH = 1000;

    /** Due jobs looked at per round; a round only comes back empty-handed when other claimers took them all. */
    private static final int CANDIDATES = 8;
    /** Rounds before giving up; each lost round means another claimer got a job, so this bounds pathological races. */
    private static final int CLAIM_ROUNDS = 100;
    /** Attempts for an enqueue or retry racing another proxy's enqueue of the same target. */
    private static final int RACE_ATTEMPTS = 5;

    private static final String COLUMNS = "id, relative_path, target, source, state, attempts, not_before, last_error";
    private static final String DUE = "((state = 'pending' AND not_before <= ?) OR (state = 'running' AND lease_until < ?))";

    private final Database database;
    private final String virtualStorage;
    private final Clock clock;

    ReplicationQueue(Database database, String virtualStorage, Clock clock) {
        this.database = database;
        this.virtualStorage = virtualStorage;
        this.clock = clock;
    }

    void enqueue(String relativePath, String target, String source) throws StoreException {
        String what = "queue replication of '" + relativePath + "' to " + target;
        for (int attempt = 1; attempt <= RACE_ATTEMPTS; attempt++) {
            boolean done = database.run(what, connection -> {
                if (updatePendingSource(connection, relativePath, target, source) > 0) {
                    return true;
                }
                try {
                    insertPending(connection, relativePath, target, source);
                    return true;
                } catch (SQLException e) {
                    if (Dialect.isUniqueViolation(e)) {
                        // Another proxy queued it just now: update that job on the next attempt.
                        return false;
                    }
                    throw e;
                }
            });
            if (done) {
                return;
            }
        }
        throw new StoreException(StoreException.Kind.INTERNAL, what + ": still racing other proxies after "
                + RACE_ATTEMPTS + " attempts");
    }

    private int updatePendingSource(Connection connection, String relativePath, String target, String source)
            throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE replication_jobs SET source = ?"
                + " WHERE virtual_storage = ? AND relative_path = ? AND target = ? AND pending = 1")) {
            update.setString(1, source);
            update.setString(2, virtualStorage);
            update.setString(3, relativePath);
            update.setString(4, target);
            return update.executeUpdate();
        }
    }

    private void insertPending(Connection connection, String relativePath, String target, String source)
            throws SQLException {
        long now = clock.millis();
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO replication_jobs (virtual_storage,"
                + " relative_path, target, source, state, pending, attempts, not_before, created_at)"
                + " VALUES (?, ?, ?, ?, 'pending', 1, 0, ?, ?)")) {
            insert.setString(1, virtualStorage);
            insert.setString(2, relativePath);
            insert.setString(3, target);
            insert.setString(4, source);
            insert.setLong(5, now);
            insert.setLong(6, now);
            insert.executeUpdate();
        }
    }

    Optional<ReplicationJob> claim(String owner, Instant now, Duration lease) throws StoreException {
        long nowMillis = now.toEpochMilli();
        long leaseUntil = now.plus(lease).toEpochMilli();
        for (int round = 0; round < CLAIM_ROUNDS; round++) {
            List<Long> candidates = database.run("find due replication jobs", connection -> dueJobs(connection,
                    nowMillis));
            if (candidates.isEmpty()) {
                return Optional.empty();
            }
            for (long id : candidates) {
                Optional<ReplicationJob> claimed = database.run("claim replication job " + id,
                        connection -> tryClaim(connection, id, owner, nowMillis, leaseUntil));
                if (claimed.isPresent()) {
                    return claimed;
                }
            }
        }
        return Optional.empty();
    }

    private List<Long> dueJobs(Connection connection, long now) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT id FROM replication_jobs"
                + " WHERE virtual_storage = ? AND " + DUE + " ORDER BY id FETCH FIRST " + CANDIDATES + " ROWS ONLY")) {
            select.setString(1, virtualStorage);
            select.setLong(2, now);
            select.setLong(3, now);
            List<Long> ids = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getLong(1));
                }
            }
            return ids;
        }
    }

    /**
     * Takes the job if it is still due. A concurrent claimer's update of the same row makes this one wait and then
     * re-check the condition against the winner's row, so exactly one update count is 1.
     */
    private Optional<ReplicationJob> tryClaim(Connection connection, long id, String owner, long now, long leaseUntil)
            throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE replication_jobs SET state = 'running',"
                + " pending = NULL, lease_owner = ?, lease_until = ? WHERE id = ? AND virtual_storage = ? AND " + DUE)) {
            update.setString(1, owner);
            update.setLong(2, leaseUntil);
            update.setLong(3, id);
            update.setString(4, virtualStorage);
            update.setLong(5, now);
            update.setLong(6, now);
            if (update.executeUpdate() == 0) {
                return Optional.empty();
            }
        }
        return job(connection, id);
    }

    void complete(long id) throws StoreException {
        int deleted = database.run("complete replication job " + id, connection -> {
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM replication_jobs WHERE id = ? AND virtual_storage = ?")) {
                delete.setLong(1, id);
                delete.setString(2, virtualStorage);
                return delete.executeUpdate();
            }
        });
        if (deleted == 0) {
            throw notFound("complete", id);
        }
    }

    /**
     * Makes the job pending again. When the target got a new pending job meanwhile, that job already covers this
     * one (with the newer source): it takes over the attempts, delay and error, and this job is removed.
     */
    void retry(long id, String error, Instant notBefore) throws StoreException {
        String what = "retry replication job " + id;
        String lastError = truncate(error);
        for (int attempt = 1; attempt <= RACE_ATTEMPTS; attempt++) {
            Boolean done = database.transaction(what, connection -> {
                Optional<ReplicationJob> job = jobForUpdate(connection, id);
                if (job.isEmpty()) {
                    throw notFound("retry", id);
                }
                Optional<Long> newer = otherPending(connection, job.get());
                if (newer.isPresent()) {
                    absorb(connection, newer.get(), job.get().attempts() + 1, notBefore, lastError);
                    deleteJob(connection, id);
                    return true;
                }
                try {
                    markPending(connection, id, notBefore, lastError);
                    return true;
                } catch (SQLException e) {
                    if (Dialect.isUniqueViolation(e)) {
                        // A new pending job for the target appeared since the check: absorb it on the next attempt.
                        connection.rollback();
                        return false;
                    }
                    throw e;
                }
            });
            if (done) {
                return;
            }
        }
        throw new StoreException(StoreException.Kind.INTERNAL, what + ": still racing other proxies after "
                + RACE_ATTEMPTS + " attempts");
    }

    private Optional<ReplicationJob> jobForUpdate(Connection connection, long id) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM replication_jobs"
                + " WHERE id = ? AND virtual_storage = ? FOR UPDATE")) {
            select.setLong(1, id);
            select.setString(2, virtualStorage);
            return first(select);
        }
    }

    private Optional<Long> otherPending(Connection connection, ReplicationJob job) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT id FROM replication_jobs"
                + " WHERE virtual_storage = ? AND relative_path = ? AND target = ? AND pending = 1 AND id <> ?")) {
            select.setString(1, virtualStorage);
            select.setString(2, job.relativePath());
            select.setString(3, job.target());
            select.setLong(4, job.id());
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(rows.getLong(1)) : Optional.empty();
            }
        }
    }

    private void absorb(Connection connection, long pendingId, int attempts, Instant notBefore, String lastError)
            throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE replication_jobs"
                + " SET attempts = GREATEST(attempts, ?), not_before = GREATEST(not_before, ?), last_error = ?"
                + " WHERE id = ?")) {
            update.setInt(1, attempts);
            update.setLong(2, notBefore.toEpochMilli());
            update.setString(3, lastError);
            update.setLong(4, pendingId);
            update.executeUpdate();
        }
    }

    private void markPending(Connection connection, long id, Instant notBefore, String lastError) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE replication_jobs SET state = 'pending',"
                + " pending = 1, attempts = attempts + 1, not_before = ?, last_error = ?, lease_owner = NULL,"
                + " lease_until = NULL WHERE id = ?")) {
            update.setLong(1, notBefore.toEpochMilli());
            update.setString(2, lastError);
            update.setLong(3, id);
            update.executeUpdate();
        }
    }

    private static void deleteJob(Connection connection, long id) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM replication_jobs WHERE id = ?")) {
            delete.setLong(1, id);
            delete.executeUpdate();
        }
    }

    List<ReplicationJob> jobs() throws StoreException {
        return database.run("list replication jobs", connection -> {
            try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM replication_jobs"
                    + " WHERE virtual_storage = ? ORDER BY id")) {
                select.setString(1, virtualStorage);
                List<ReplicationJob> jobs = new ArrayList<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        jobs.add(job(rows));
                    }
                }
                return jobs;
            }
        });
    }

    private Optional<ReplicationJob> job(Connection connection, long id) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + " FROM replication_jobs"
                + " WHERE id = ? AND virtual_storage = ?")) {
            select.setLong(1, id);
            select.setString(2, virtualStorage);
            return first(select);
        }
    }

    private static Optional<ReplicationJob> first(PreparedStatement select) throws SQLException {
        try (ResultSet rows = select.executeQuery()) {
            return rows.next() ? Optional.of(job(rows)) : Optional.empty();
        }
    }

    private static ReplicationJob job(ResultSet rows) throws SQLException {
        return new ReplicationJob(rows.getLong(1), rows.getString(2), rows.getString(3), rows.getString(4),
                rows.getString(5), rows.getInt(6), Instant.ofEpochMilli(rows.getLong(7)), rows.getString(8));
    }

    private StoreException notFound(String action, long id) {
        return new StoreException(StoreException.Kind.NOT_FOUND, action + " replication job " + id
                + ": no such job in virtual storage '" + virtualStorage + "'");
    }

    /** Fits {@code last_error}, without splitting a surrogate pair; PostgreSQL text cannot hold NUL. */
    static String truncate(String error) {
        String text = error.replace('\0', '?');
        if (text.length() <= MAX_ERROR_LENGTH) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(MAX_ERROR_LENGTH - 1)) ? MAX_ERROR_LENGTH - 1 : MAX_ERROR_LENGTH;
        return text.substring(0, end);
    }
}
