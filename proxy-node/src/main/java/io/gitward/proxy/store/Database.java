package io.gitward.proxy.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * The cluster database as the store uses it: two connection pools and the translation of SQL failures into
 * {@link StoreException}s whose messages name the database without credentials.
 *
 * <p>Writes hold a connection (and the repository's row lock) for as long as the caller changes replicas, and
 * record their intent on a second connection meanwhile. They take their connections from a pool of their own,
 * so held writes can never use up the connections every short statement (including that intent) needs.
 */
final class Database implements AutoCloseable {
    /** How long a short statement waits for a pooled connection before the database counts as unavailable. */
    private static final Duration STATEMENT_CONNECTION_WAIT = Duration.ofSeconds(5);
    /** Hikari's lower bound for any connection wait. */
    private static final Duration MINIMUM_CONNECTION_WAIT = Duration.ofMillis(250);

    private final Dialect dialect;
    private final String safeUrl;
    private final String password;
    private final HikariDataSource statements;
    private final HikariDataSource writes;
    private final Duration sessionLockTimeout;

    private Database(Dialect dialect, String safeUrl, String password, HikariDataSource statements,
            HikariDataSource writes, Duration sessionLockTimeout) {
        this.dialect = dialect;
        this.safeUrl = safeUrl;
        this.password = password;
        this.statements = statements;
        this.writes = writes;
        this.sessionLockTimeout = sessionLockTimeout;
    }

    /** Connects both pools (failing fast when the database cannot be reached). */
    static Database open(StoreSettings settings, String name) throws StoreException {
        Dialect dialect = Dialect.of(settings.url());
        String password = settings.readPassword();
        String safeUrl = settings.redactedUrl();
        HikariDataSource statements = null;
        try {
            statements = new HikariDataSource(pool(settings, dialect, password, name + "-statements",
                    STATEMENT_CONNECTION_WAIT));
            Duration writeWait = settings.lockTimeout().compareTo(MINIMUM_CONNECTION_WAIT) < 0
                    ? MINIMUM_CONNECTION_WAIT : settings.lockTimeout();
            HikariDataSource writes = new HikariDataSource(pool(settings, dialect, password, name + "-writes", writeWait));
            return new Database(dialect, safeUrl, password, statements, writes, settings.lockTimeout());
        } catch (RuntimeException e) {
            // Hikari reports a failed first connection as an unchecked PoolInitializationException.
            if (statements != null) {
                statements.close();
            }
            SQLException cause = e.getCause() instanceof SQLException sql ? sql : new SQLException(e.getMessage(), e);
            throw failure(dialect, safeUrl, password, "open the cluster database", cause);
        }
    }

    private static HikariConfig pool(StoreSettings settings, Dialect dialect, String password, String name,
            Duration connectionWait) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(name);
        config.setJdbcUrl(settings.url());
        config.setDriverClassName(dialect == Dialect.POSTGRESQL ? "org.postgresql.Driver" : "org.h2.Driver");
        if (!settings.user().isEmpty()) {
            config.setUsername(settings.user());
        }
        if (password != null) {
            config.setPassword(password);
        }
        config.setMaximumPoolSize(settings.poolSize());
        config.setMinimumIdle(1);
        config.setConnectionTimeout(connectionWait.toMillis());
        config.setAutoCommit(true);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        config.setConnectionInitSql(dialect.sessionLockTimeout(settings.lockTimeout()));
        if (dialect == Dialect.POSTGRESQL) {
            // Without a socket timeout a statement to a vanished server waits forever. Writes wait for locks up to
            // proxy.store.lock-timeout, which must fit; a longer wait asked of beginWrite would end as UNAVAILABLE.
            long socketSeconds = settings.lockTimeout().toSeconds() * 2 + 30;
            config.addDataSourceProperty("socketTimeout", Long.toString(socketSeconds));
            config.addDataSourceProperty("connectTimeout", "10");
            config.addDataSourceProperty("tcpKeepAlive", "true");
            config.addDataSourceProperty("ApplicationName", "gitward-proxy");
        }
        return config;
    }

    Dialect dialect() {
        return dialect;
    }

    /** The lock wait every pooled connection starts with (set when the pool opens it). */
    Duration sessionLockTimeout() {
        return sessionLockTimeout;
    }

    /** Runs {@code work} on a pooled connection in autocommit mode. */
    <T> T run(String what, SqlWork<T> work) throws StoreException {
        try (Connection connection = statements.getConnection()) {
            return work.apply(connection);
        } catch (SQLException e) {
            throw failure(what, e);
        }
    }

    /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
    <T> T transaction(String what, SqlWork<T> work) throws StoreException {
        try (Connection connection = statements.getConnection()) {
            connection.setAutoCommit(false);
            try {
                T result = work.apply(connection);
                connection.commit();
                return result;
            } catch (SQLException | StoreException | RuntimeException e) {
                rollbackQuietly(connection);
                throw e;
            }
        } catch (SQLException e) {
            throw failure(what, e);
        }
    }

    /** A connection for one write, autocommit off; the caller ends its transaction and closes it. */
    Connection writeConnection() throws SQLException {
        Connection connection = writes.getConnection();
        try {
            connection.setAutoCommit(false);
            return connection;
        } catch (SQLException e) {
            connection.close();
            throw e;
        }
    }

    /** Closes a write connection for good instead of returning it to the pool. */
    void discardWriteConnection(Connection connection) {
        writes.evictConnection(connection);
    }

    static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException ignored) {
            // The connection is broken; the pool discards it and the server ends the transaction.
        }
    }

    /**
     * The {@link StoreException} for a failed statement: UNAVAILABLE when the database cannot be reached,
     * LOCK_TIMEOUT when a lock wait ran out, INTERNAL otherwise. Never contains the password.
     */
    StoreException failure(String what, SQLException e) {
        return failure(dialect, safeUrl, password, what, e);
    }

    private static StoreException failure(Dialect dialect, String safeUrl, String password, String what,
            SQLException e) {
        String reason = scrub(String.valueOf(e.getMessage()), password);
        // Drivers do not echo passwords, but a URL quoted in a message may carry one: then the cause stays out.
        Throwable cause = e;
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (!scrub(message, password).equals(message)) {
                cause = null;
            }
        }
        if (dialect.isUnavailable(e)) {
            return new StoreException(StoreException.Kind.UNAVAILABLE, what + ": cluster database " + safeUrl
                    + " is unavailable (" + reason + ")", cause);
        }
        if (dialect.isLockTimeout(e)) {
            return new StoreException(StoreException.Kind.LOCK_TIMEOUT, what + ": timed out waiting for a lock ("
                    + reason + ")", cause);
        }
        return new StoreException(StoreException.Kind.INTERNAL, what + ": " + reason + " (cluster database "
                + safeUrl + ")", cause);
    }

    private static String scrub(String message, String password) {
        String result = StoreSettings.redact(message);
        if (password != null && password.length() >= 4) {
            result = result.replace(password, "***");
        }
        return result;
    }

    @Override
    public void close() {
        writes.close();
        statements.close();
    }

    /** Work on a connection. */
    @FunctionalInterface
    interface SqlWork<T> {
        T apply(Connection connection) throws SQLException, StoreException;
    }
}
