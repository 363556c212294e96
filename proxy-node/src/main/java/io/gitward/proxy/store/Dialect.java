package io.gitward.proxy.store;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Set;

/**
 * The few places where PostgreSQL and H2 differ for the store: how to bound a lock wait, how to serialize
 * schema creation, and what their error codes mean. Everything else is standard SQL run on both.
 */
enum Dialect {
    POSTGRESQL {
        @Override
        String sessionLockTimeout(Duration timeout) {
            return "SET lock_timeout = " + millis(timeout);
        }

        @Override
        String transactionLockTimeout(Duration timeout) {
            return "SET LOCAL lock_timeout = " + millis(timeout);
        }

        @Override
        boolean lockTimeoutOutlivesTransaction() {
            return false; // SET LOCAL
        }

        @Override
        String schemaLock() {
            // Concurrent CREATE TABLE IF NOT EXISTS can still collide in PostgreSQL's catalog; one creator at a time.
            return "SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK_KEY + ")";
        }

        @Override
        boolean isLockTimeout(SQLException e) {
            return "55P03".equals(e.getSQLState());
        }

        @Override
        boolean isUnreachable(SQLException e) {
            // 08: connection exception; 57P01..57P03: the server is shutting down, crashed or still starting.
            String state = e.getSQLState();
            return state != null && (state.startsWith("08") || state.startsWith("57P0"));
        }

        @Override
        boolean isUndefinedTable(SQLException e) {
            return "42P01".equals(e.getSQLState());
        }
    },

    H2 {
        @Override
        String sessionLockTimeout(Duration timeout) {
            return "SET LOCK_TIMEOUT " + millis(timeout);
        }

        @Override
        String transactionLockTimeout(Duration timeout) {
            // A session setting in H2: a write that sets it puts the pool's value back when it ends.
            return sessionLockTimeout(timeout);
        }

        @Override
        boolean lockTimeoutOutlivesTransaction() {
            return true;
        }

        @Override
        String schemaLock() {
            return null;
        }

        @Override
        boolean isLockTimeout(SQLException e) {
            return e.getErrorCode() == 50200;
        }

        @Override
        boolean isUnreachable(SQLException e) {
            String state = e.getSQLState();
            return H2_UNREACHABLE.contains(e.getErrorCode()) || state != null && state.startsWith("08");
        }

        @Override
        boolean isUndefinedTable(SQLException e) {
            return e.getErrorCode() == 42102 || e.getErrorCode() == 42103 || e.getErrorCode() == 42104;
        }
    };

    /** "gitward" in ASCII: the advisory lock every proxy takes while creating the schema. */
    private static final long SCHEMA_LOCK_KEY = 0x67697477617264L;

    /**
     * H2's codes for "the database cannot be used now": connection broken, database closed or shutting down, and
     * the embedded file already opened by another process.
     */
    private static final Set<Integer> H2_UNREACHABLE = Set.of(90067, 90098, 90121, 90020);

    static Dialect of(String url) {
        return url.startsWith(StoreSettings.POSTGRESQL_PREFIX) ? POSTGRESQL : H2;
    }

    /** Bounds every lock wait of a new connection. */
    abstract String sessionLockTimeout(Duration timeout);

    /** Bounds the lock waits of the current transaction. */
    abstract String transactionLockTimeout(Duration timeout);

    /** Whether {@link #transactionLockTimeout} stays on the connection after its transaction (a session setting). */
    abstract boolean lockTimeoutOutlivesTransaction();

    /** A statement serializing schema creation until the transaction ends, or null when DDL is serialized anyway. */
    abstract String schemaLock();

    abstract boolean isLockTimeout(SQLException e);

    abstract boolean isUndefinedTable(SQLException e);

    /** The database cannot be reached or cannot serve now (as opposed to a statement it refused). */
    abstract boolean isUnreachable(SQLException e);

    /** True when {@code e} or anything it wraps says the database cannot be reached. */
    boolean isUnavailable(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLTransientConnectionException || cause instanceof SQLNonTransientConnectionException) {
                return true;
            }
            if (cause instanceof SQLException sql && isUnreachable(sql)) {
                return true;
            }
            if (cause instanceof java.io.IOException) {
                return true;
            }
        }
        return false;
    }

    static boolean isUniqueViolation(SQLException e) {
        return "23505".equals(e.getSQLState());
    }

    /** At least 1 ms: both databases read 0 as "wait forever". */
    static long millis(Duration timeout) {
        return Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    }
}
