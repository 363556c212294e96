package io.gitward.security.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitwardConfigTest {
    @TempDir
    Path dir;

    @Test
    void environmentWinsOverTheFileAndTakesTheKeysType() throws Exception {
        GitwardConfig config = GitwardConfig.parse("security.phase = 1\nnode.shutdown-grace = 3s", dir,
                Map.of("GITWARD_SECURITY_PHASE", "4", "GITWARD_SECURITY_TRUST_CRLS", "[a.pem, b.pem]",
                        "GITWARD_NODE_SHUTDOWN_GRACE", "7s", "PATH", "/bin"));
        assertEquals(4, config.integer("security.phase", 0, 6));
        assertEquals(List.of(dir.resolve("a.pem"), dir.resolve("b.pem")), config.pathList("security.trust.crls"));
        assertEquals(Duration.ofSeconds(7), config.duration("node.shutdown-grace"));
        assertEquals("environment GITWARD_SECURITY_PHASE", config.sourceOf("security.phase"));
        assertEquals("default", config.sourceOf("security.trust-domain"));
        assertTrue(config.problems().isEmpty(), config.problems().all().toString());
    }

    @Test
    void commaSeparatedListsAreAcceptedFromTheEnvironment() throws Exception {
        GitwardConfig config = GitwardConfig.parse("", dir, Map.of("GITWARD_SECURITY_TRUST_CRLS", "a.pem,b.pem"));
        assertEquals(List.of(dir.resolve("a.pem"), dir.resolve("b.pem")), config.pathList("security.trust.crls"));
    }

    @Test
    void everyProblemIsCollectedWithItsKey() throws Exception {
        GitwardConfig config = GitwardConfig.parse("security.phas = 1\nsecurity.phase = seven\nnode.shutdown-grace = -1s",
                dir, Map.of("GITWARD_NODE_NAMEE", "x", "GITWARD_SECURITY_PHASE", "x", "GITWARD_HOME", "/opt"));
        config.integer("security.phase", 0, 6);
        config.duration("node.shutdown-grace");
        List<String> problems = config.problems().all();
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("security.phas: unknown key (did you mean security.phase?)")),
                problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("environment GITWARD_NODE_NAMEE: no config key")),
                problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("security.phase: 'x' from GITWARD_SECURITY_PHASE")),
                problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("node.shutdown-grace:")), problems.toString());
        assertTrue(problems.stream().noneMatch(p -> p.contains("GITWARD_HOME")), "launcher variables are not config");
    }

    @Test
    void relativePathsResolveAgainstTheConfigDirectory() throws Exception {
        GitwardConfig config = GitwardConfig.parse("security.tls.key = \"keys/key.pem\"", dir, Map.of());
        assertEquals(dir.resolve("keys/key.pem"), config.path("security.tls.key"));
    }

    @Test
    void syntaxErrorsNameTheProblem() {
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> GitwardConfig.parse("security { phase = ", dir, Map.of()));
        assertTrue(e.getMessage().contains("syntax"), e.getMessage());
    }

    @Test
    void missingFileIsNamed() {
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> GitwardConfig.load(dir.resolve("absent.conf"), Map.of()));
        assertTrue(e.getMessage().contains("absent.conf") && e.getMessage().contains("no such file"), e.getMessage());
    }
}
