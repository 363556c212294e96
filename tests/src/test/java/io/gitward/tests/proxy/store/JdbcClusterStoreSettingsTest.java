package io.gitward.tests.proxy.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proxy.store.StoreSettings;
import io.gitward.security.config.GitwardConfig;
import io.gitward.security.files.SecureFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code proxy.store.*}: every wrong value is one problem naming its key; the password never appears. */
class JdbcClusterStoreSettingsTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void files() throws Exception {
        SecureFiles.writePrivate(dir.resolve("owner-only"), "s3cret-password\n".getBytes(StandardCharsets.UTF_8));
        SecureFiles.writePublic(dir.resolve("world-readable"), "s3cret-password\n");
        Path groupReadable = dir.resolve("group-readable");
        SecureFiles.writePrivate(groupReadable, "s3cret-password\n".getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(groupReadable, PosixFilePermissions.fromString("rw-r-----"));
        Files.createDirectories(dir.resolve("a-directory"));
    }

    static Stream<Arguments> problems() {
        return Stream.of(
                Arguments.of("a URL of another database is refused", "url = \"jdbc:mysql://db/cluster\"",
                        "proxy.store.url: 'jdbc:mysql://db/cluster' (expected: a jdbc:postgresql:// or jdbc:h2: URL"),
                Arguments.of("a refused URL is quoted without its password",
                        "url = \"postgres://db/cluster?user=x&password=s3cret-password\"",
                        "proxy.store.url: 'postgres://db/cluster?user=x&password=***' (expected"),
                Arguments.of("a missing password file is named", "password-file = missing",
                        "proxy.store.password-file: " + dir.resolve("missing") + ": no such file"),
                Arguments.of("a password file readable by everyone is refused", "password-file = world-readable",
                        "proxy.store.password-file: " + dir.resolve("world-readable") + " has mode 0644 (expected: readable"
                                + " by its owner only, mode 0600 or stricter"),
                Arguments.of("a password file readable by the group is refused", "password-file = group-readable",
                        "has mode 0640"),
                Arguments.of("a directory is no password file", "password-file = a-directory",
                        "proxy.store.password-file: " + dir.resolve("a-directory") + " is not a regular file"),
                Arguments.of("a pool of no connections is refused", "pool-size = 0",
                        "proxy.store.pool-size: 0 (expected: 1..64)"),
                Arguments.of("a pool of 65 connections is refused", "pool-size = 65",
                        "proxy.store.pool-size: 65 (expected: 1..64)"),
                Arguments.of("a lock timeout of zero is refused", "lock-timeout = 0s",
                        "proxy.store.lock-timeout: '0s' (expected: a positive duration"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("problems")
    void wrongValuesAreNamedWithTheirKey(String name, String setting, String expected) throws Exception {
        List<String> problems = read("proxy.store { " + setting + " }");

        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains(expected), problems.get(0));
        assertFalse(problems.get(0).contains("s3cret"), problems.get(0));
    }

    @Test
    void anEmptyUrlMeansTheEmbeddedDatabaseInTheDataDirectory() throws Exception {
        GitwardConfig config = GitwardConfig.parse("", dir, Map.of());
        StoreSettings settings = StoreSettings.read(config, dir.resolve("data"));

        assertEquals(List.of(), config.problems().all());
        assertTrue(settings.url().startsWith("jdbc:h2:file:" + dir.resolve("data").resolve("cluster") + ";"),
                settings.url());
        assertEquals(null, settings.passwordFile());
        assertEquals(8, settings.poolSize());
        assertEquals(Duration.ofSeconds(30), settings.lockTimeout());
    }

    @Test
    void aPostgresqlDatabaseWithAnOwnerOnlyPasswordFileIsAccepted() throws Exception {
        GitwardConfig config = GitwardConfig.parse("proxy.store { url = \"jdbc:postgresql://db:5432/cluster\","
                + " user = gitward, password-file = owner-only, pool-size = 4, lock-timeout = 5s }", dir, Map.of());
        StoreSettings settings = StoreSettings.read(config, dir.resolve("data"));

        assertEquals(List.of(), config.problems().all());
        assertEquals(new StoreSettings("jdbc:postgresql://db:5432/cluster", "gitward", dir.resolve("owner-only"), 4,
                Duration.ofSeconds(5)), settings);
        assertFalse(settings.toString().contains("s3cret"), settings.toString());
    }

    @Test
    void settingsPrintTheirUrlWithoutPassword() {
        StoreSettings settings = new StoreSettings("jdbc:postgresql://db/cluster?password=s3cret-password&ssl=true", "",
                null, 1, Duration.ofSeconds(1));

        assertEquals("jdbc:postgresql://db/cluster?password=***&ssl=true", settings.redactedUrl());
        assertFalse(settings.toString().contains("s3cret"), settings.toString());
    }

    private static List<String> read(String hocon) throws Exception {
        GitwardConfig config = GitwardConfig.parse(hocon, dir, Map.of());
        StoreSettings.read(config, dir.resolve("data"));
        return config.problems().all();
    }
}
