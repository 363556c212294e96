package io.gitward.tests.proxy.store;

import io.gitward.security.files.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for one test class, from the distribution's binaries ({@code apt-get install postgresql}),
 * in a temporary directory, listening on 127.0.0.1 only. Durability is off (the data is thrown away). It has one
 * login, {@link #user()}, with a password kept in the owner-only {@link #passwordFile()}, which owns
 * {@link #jdbcUrl()}'s database and every database {@link #createDatabase()} makes.
 *
 * <p>PostgreSQL refuses to run as root, so as root (CI) the server runs as the {@code postgres} system user, which
 * owns the directory. A port cannot be 0 here, so a random high port is tried, and another when it is taken.
 */
public final class TestPostgres implements AutoCloseable {
    private static final Path INSTALLATIONS = Path.of("/usr/lib/postgresql");
    private static final String SERVER_USER = "postgres";
    private static final String USER = "gitward";
    private static final int PORT_ATTEMPTS = 10;
    /** Below Linux's ephemeral range, so outgoing connections do not take the port between tries. */
    private static final int LOWEST_PORT = 20000;
    private static final int HIGHEST_PORT = 32000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path directory;
    private final Path bin;
    private final boolean asServerUser;
    private final int port;
    private final String superuserPassword;
    private final Path passwordFile;
    private final AtomicInteger databases = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread stopAtExit;

    private TestPostgres(Path directory, Path bin, boolean asServerUser, int port, String superuserPassword,
            Path passwordFile) {
        this.directory = directory;
        this.bin = bin;
        this.asServerUser = asServerUser;
        this.port = port;
        this.superuserPassword = superuserPassword;
        this.passwordFile = passwordFile;
        // A JVM killed mid-test would otherwise leave the server running.
        this.stopAtExit = new Thread(this::stopServer, "stop test postgres");
        Runtime.getRuntime().addShutdownHook(stopAtExit);
    }

    /** Starts a server with the database {@code gitward}; fails (never skips) when PostgreSQL is not installed. */
    public static TestPostgres start() throws IOException, InterruptedException, SQLException {
        Path bin = binaries();
        boolean asServerUser = "root".equals(System.getProperty("user.name"));
        Path directory = Files.createTempDirectory("gitward-postgres-");
        try {
            Path socketDirectory = Files.createDirectory(directory.resolve("socket"));
            Path superuserPasswordFile = directory.resolve("superuser-password");
            String superuserPassword = randomPassword();
            SecureFiles.writePrivate(superuserPasswordFile, superuserPassword.getBytes(StandardCharsets.UTF_8));
            if (asServerUser) {
                giveToServerUser(directory, socketDirectory, superuserPasswordFile);
            }
            Path data = directory.resolve("data");
            run(bin, asServerUser, "initdb", "-D", data.toString(), "-U", SERVER_USER, "--pwfile=" + superuserPasswordFile,
                    "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions");
            Files.writeString(data.resolve("postgresql.conf"), String.join("\n", "",
                    "listen_addresses = '127.0.0.1'",
                    "unix_socket_directories = '" + socketDirectory + "'",
                    "max_connections = 200",
                    "fsync = off",
                    "synchronous_commit = off",
                    "full_page_writes = off",
                    ""), StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
            int port = startOnFreePort(bin, asServerUser, data, directory.resolve("server.log"));
            Path passwordFile = directory.resolve("gitward-password");
            String password = randomPassword();
            // A trailing newline, as an operator's editor would leave it: not part of the password.
            SecureFiles.writePrivate(passwordFile, (password + "\n").getBytes(StandardCharsets.UTF_8));
            TestPostgres server = new TestPostgres(directory, bin, asServerUser, port, superuserPassword, passwordFile);
            try {
                server.superuser("CREATE ROLE " + USER + " LOGIN PASSWORD '" + password + "'",
                        "CREATE DATABASE " + USER + " OWNER " + USER);
            } catch (SQLException | RuntimeException e) {
                server.close();
                throw e;
            }
            return server;
        } catch (IOException | InterruptedException | RuntimeException e) {
            deleteQuietly(directory);
            throw e;
        }
    }

    /** The newest installed server's bin directory. */
    private static Path binaries() throws IOException {
        List<Path> found = new ArrayList<>();
        if (Files.isDirectory(INSTALLATIONS)) {
            try (Stream<Path> versions = Files.list(INSTALLATIONS)) {
                versions.map(version -> version.resolve("bin"))
                        .filter(bin -> Files.isExecutable(bin.resolve("initdb")) && Files.isExecutable(bin.resolve("pg_ctl")))
                        .forEach(found::add);
            }
        }
        return found.stream().max(Comparator.comparing(TestPostgres::majorVersion)).orElseThrow(() ->
                new IllegalStateException("no PostgreSQL server binaries in " + INSTALLATIONS + "/*/bin (initdb, pg_ctl):"
                        + " run apt-get install postgresql; the cluster store tests need a real server"));
    }

    private static int majorVersion(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static void giveToServerUser(Path... paths) throws IOException {
        UserPrincipalLookupService lookup = paths[0].getFileSystem().getUserPrincipalLookupService();
        UserPrincipal user = lookup.lookupPrincipalByName(SERVER_USER);
        GroupPrincipal group = lookup.lookupPrincipalByGroupName(SERVER_USER);
        for (Path path : paths) {
            PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
            view.setOwner(user);
            view.setGroup(group);
        }
    }

    private static int startOnFreePort(Path bin, boolean asServerUser, Path data, Path log)
            throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(LOWEST_PORT, HIGHEST_PORT);
            long logStart = Files.exists(log) ? Files.size(log) : 0;
            Result result = command(bin, asServerUser, "pg_ctl", "-D", data.toString(), "-l", log.toString(),
                    "-o", "-p " + port, "-w", "-t", "60", "start");
            if (result.status() == 0) {
                return port;
            }
            String serverLog = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8).substring((int) logStart) : "";
            boolean portTaken = serverLog.contains("could not bind") || serverLog.contains("Address already in use");
            if (!portTaken || attempt == PORT_ATTEMPTS) {
                throw new IOException("pg_ctl start on port " + port + " failed (attempt " + attempt + "): " + result.output()
                        + "\nserver log:\n" + serverLog);
            }
        }
    }

    public String jdbcUrl() {
        return url(USER);
    }

    /** A new, empty database owned by {@link #user()}; its JDBC URL. */
    public String createDatabase() throws SQLException {
        String name = "test_" + databases.incrementAndGet();
        superuser("CREATE DATABASE " + name + " OWNER " + USER);
        return url(name);
    }

    public String user() {
        return USER;
    }

    /** The password of {@link #user()}, mode 0600, followed by a newline. */
    public Path passwordFile() {
        return passwordFile;
    }

    public int port() {
        return port;
    }

    private String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    private void superuser(String... statements) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url("postgres"), SERVER_USER, superuserPassword);
                Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    /** Stops the server at once (the data is disposable) and deletes its directory. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(stopAtExit);
        } catch (IllegalStateException ignored) {
            // Already shutting down: the hook stops the server.
        }
        stopServer();
        deleteQuietly(directory);
    }

    private void stopServer() {
        try {
            command(bin, asServerUser, "pg_ctl", "-D", directory.resolve("data").toString(), "-m", "immediate", "-w",
                    "stop");
        } catch (IOException e) {
            System.err.println("could not stop the test PostgreSQL server in " + directory + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void run(Path bin, boolean asServerUser, String program, String... arguments)
            throws IOException, InterruptedException {
        Result result = command(bin, asServerUser, program, arguments);
        if (result.status() != 0) {
            throw new IOException(program + " exited with " + result.status() + ": " + result.output());
        }
    }

    private static Result command(Path bin, boolean asServerUser, String program, String... arguments)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        if (asServerUser) {
            command.addAll(List.of("runuser", "-u", SERVER_USER, "--"));
        }
        command.add(bin.resolve(program).toString());
        command.addAll(List.of(arguments));
        // The server user may not enter the test's working directory, which the tools look up.
        Process process = new ProcessBuilder(command).directory(new java.io.File("/")).redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish within 2 minutes");
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8).strip());
    }

    private static String randomPassword() {
        String alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        StringBuilder password = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            password.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return password.toString();
    }

    private static void deleteQuietly(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + directory + ": " + e);
        }
    }

    private record Result(int status, String output) {
    }
}
