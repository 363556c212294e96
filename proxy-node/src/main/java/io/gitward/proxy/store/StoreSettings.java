package io.gitward.proxy.store;

import static java.util.Objects.requireNonNull;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.files.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code proxy.store.*} section: where the cluster database is and how to reach it. The password stays in
 * its file until {@link JdbcClusterStore#open} reads it, so it is never held by settings, logged or printed.
 *
 * @param url          the JDBC URL; for the embedded database, the H2 file URL under the node's data directory
 * @param user         the database user, empty for the driver's default
 * @param passwordFile the file holding the password (owner-only), or null for none
 * @param poolSize     connections for short statements, and as many again for writes holding a repository lock
 * @param lockTimeout  how long statements wait for a row lock (writes choose their own wait in beginWrite)
 */
public record StoreSettings(String url, String user, Path passwordFile, int poolSize, Duration lockTimeout) {
    public static final String URL_KEY = "proxy.store.url";
    public static final String USER_KEY = "proxy.store.user";
    public static final String PASSWORD_FILE_KEY = "proxy.store.password-file";
    public static final String POOL_SIZE_KEY = "proxy.store.pool-size";
    public static final String LOCK_TIMEOUT_KEY = "proxy.store.lock-timeout";

    static final String POSTGRESQL_PREFIX = "jdbc:postgresql:";
    static final String H2_PREFIX = "jdbc:h2:";

    private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)(password=)[^&;]*");

    public StoreSettings {
        requireNonNull(url, "url");
        user = user == null ? "" : user;
        requireNonNull(lockTimeout, "lockTimeout");
    }

    /** Reads and checks the section; every problem is added to {@code config.problems()}, nothing is thrown. */
    public static StoreSettings read(GitwardConfig config, Path dataDirectory) {
        String url = config.string(URL_KEY);
        if (url == null || url.isBlank()) {
            url = embeddedUrl(requireNonNull(dataDirectory, "dataDirectory"));
        } else if (!url.startsWith(POSTGRESQL_PREFIX) && !url.startsWith(H2_PREFIX)) {
            config.problems().add(URL_KEY, "'" + redact(url) + "' (expected: a jdbc:postgresql:// or jdbc:h2: URL,"
                    + " or empty for the embedded database)");
        }
        String user = config.string(USER_KEY);
        Path passwordFile = config.path(PASSWORD_FILE_KEY);
        if (passwordFile != null) {
            String problem = passwordFileProblem(passwordFile);
            if (problem != null) {
                config.problems().add(PASSWORD_FILE_KEY, problem);
            }
        }
        int poolSize = config.integer(POOL_SIZE_KEY, 1, 64);
        Duration lockTimeout = config.duration(LOCK_TIMEOUT_KEY);
        return new StoreSettings(url, user, passwordFile, poolSize, lockTimeout);
    }

    /**
     * The embedded database: an H2 file at {@code dataDirectory/cluster} for one proxy. Commits reach the file
     * before they return (WRITE_DELAY=0) because a write intent must survive a proxy crash; the proxy closes the
     * database itself, after its last write, instead of H2's shutdown hook; errors are reported by the store, so
     * H2's trace file stays off. Each connection keeps the parsed form of the store's few dozen statements (H2's
     * default is 8: a write's statements then evict each other and are parsed again on every write).
     */
    public static String embeddedUrl(Path dataDirectory) {
        return H2_PREFIX + "file:" + dataDirectory.toAbsolutePath().normalize().resolve("cluster")
                + ";WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;TRACE_LEVEL_FILE=0;QUERY_CACHE_SIZE=64";
    }

    /**
     * Whether only this process can write the database: an H2 file without {@code AUTO_SERVER} (H2 locks the file
     * for the process that opened it), as the embedded database is. Then the proxy may keep states in memory
     * ({@link CachingClusterStore}); a PostgreSQL or H2 server database may be shared with other proxies.
     */
    public boolean exclusiveToThisProcess() {
        return url.startsWith(H2_PREFIX + "file:") && !url.toUpperCase(java.util.Locale.ROOT).contains("AUTO_SERVER=TRUE");
    }

    /** The URL with any {@code password=} parameter blanked, for messages and logs. */
    public String redactedUrl() {
        return redact(url);
    }

    /** Reads the password file now; trailing line breaks are not part of the password. */
    String readPassword() throws StoreException {
        if (passwordFile == null) {
            return null;
        }
        String problem = passwordFileProblem(passwordFile);
        if (problem != null) {
            throw new StoreException(StoreException.Kind.INTERNAL, PASSWORD_FILE_KEY + ": " + problem);
        }
        try {
            String content = Files.readString(passwordFile, StandardCharsets.UTF_8);
            return content.replaceAll("[\r\n]+$", "");
        } catch (IOException e) {
            throw new StoreException(StoreException.Kind.INTERNAL, PASSWORD_FILE_KEY + ": " + passwordFile
                    + " cannot be read (" + e + ")", e);
        }
    }

    static String redact(String text) {
        return PASSWORD_PARAMETER.matcher(text).replaceAll("$1***");
    }

    private static String passwordFileProblem(Path file) {
        if (!Files.exists(file)) {
            return file + ": no such file (expected: a file holding the database password)";
        }
        if (!Files.isRegularFile(file)) {
            return file + " is not a regular file (expected: a file holding the database password)";
        }
        if (!Files.isReadable(file)) {
            return file + " is not readable by this user (expected: a file this user can read)";
        }
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            // No POSIX permissions on this file system: nothing to check.
            return null;
        } catch (IOException e) {
            return file + " cannot be inspected (" + e.getClass().getSimpleName() + ")";
        }
        for (PosixFilePermission permission : permissions) {
            if (!permission.name().startsWith("OWNER_")) {
                return file + " has mode " + SecureFiles.mode(permissions)
                        + " (expected: readable by its owner only, mode 0600 or stricter; run: chmod 600 " + file + ")";
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return "StoreSettings[url=" + redactedUrl() + ", user=" + user + ", passwordFile=" + passwordFile
                + ", poolSize=" + poolSize + ", lockTimeout=" + lockTimeout + "]";
    }
}
