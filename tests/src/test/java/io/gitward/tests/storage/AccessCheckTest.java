package io.gitward.tests.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.config.GitwardConfig;
import io.gitward.storage.access.AccessCheckSettings;
import io.gitward.storage.access.AccessDecision;
import io.gitward.storage.access.AccessDecision.Result;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The pure parts of the storage node's access check: answers, message sanitising, configuration. */
class AccessCheckTest {
    private static final String KEYS = "security.tls { key = \"node.key\", certificate-chain = \"node.crt\" }\n";

    @TempDir
    Path dir;

    static Stream<Arguments> answers() {
        return Stream.of(
                Arguments.of("200 with status true allows", 200, "{\"status\": true}", Result.ALLOWED, ""),
                Arguments.of("extra fields do not matter", 200, "{\"status\": true, \"message\": \"ok\", \"x\": 1}",
                        Result.ALLOWED, ""),
                Arguments.of("200 with status false denies with the message", 200,
                        "{\"status\": false, \"message\": \"GitLab: You are not allowed to push code to this project.\"}",
                        Result.DENIED, "GitLab: You are not allowed to push code to this project."),
                Arguments.of("a denial without a message gets a default one", 200, "{\"status\": false}", Result.DENIED,
                        "the push was denied by the access check"),
                Arguments.of("a denial's message is sanitised", 200,
                        "{\"status\": false, \"message\": \"no\\n\\u001b[31mway\\u202e\\r\\nback\"}", Result.DENIED,
                        "no [31mway back"),
                Arguments.of("HTTP 500 is an error", 500, "{\"status\": true}", Result.ERROR, "the endpoint answered HTTP 500"),
                Arguments.of("HTTP 401 is an error even with status false", 401, "{\"status\": false, \"message\": \"x\"}",
                        Result.ERROR, "the endpoint answered HTTP 401"),
                Arguments.of("a body that is not JSON is an error", 200, "<html>allowed</html>", Result.ERROR,
                        "the endpoint's answer is not JSON"),
                Arguments.of("a JSON array is an error", 200, "[true]", Result.ERROR,
                        "the endpoint's answer is not a JSON object"),
                Arguments.of("an empty body is an error", 200, "", Result.ERROR, "the endpoint's answer is not a JSON object"),
                Arguments.of("status as a string is an error", 200, "{\"status\": \"true\"}", Result.ERROR,
                        "the endpoint's answer has no boolean \"status\""),
                Arguments.of("a missing status is an error", 200, "{\"message\": \"fine\"}", Result.ERROR,
                        "the endpoint's answer has no boolean \"status\""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("answers")
    void answersAreInterpretedStrictly(String name, int status, String body, Result result, String message) {
        AccessDecision decision = AccessDecision.interpret(status, body.getBytes(StandardCharsets.UTF_8));
        assertEquals(result, decision.result());
        assertEquals(message, decision.message());
    }

    @Test
    void errorsReachThePusherAsUnavailable() {
        assertEquals("access check unavailable: the endpoint answered HTTP 503",
                AccessDecision.interpret(503, new byte[0]).pusherMessage());
        assertEquals("nope", AccessDecision.denied("nope").pusherMessage());
    }

    @Test
    void longMessagesAreCutAndMarked() {
        String cut = AccessDecision.sanitize("x".repeat(5000));
        assertEquals(AccessDecision.MAX_MESSAGE + 3, cut.length());
        assertTrue(cut.endsWith("..."));
        String words = AccessDecision.sanitize("word ".repeat(2000));
        assertTrue(words.length() <= AccessDecision.MAX_MESSAGE + 3);
        assertFalse(words.contains(" ..."), "no blank before the mark");
    }

    @Test
    void controlAndFormatCharactersNeverSurvive() {
        String sanitised = AccessDecision.sanitize("\u0000a\u0007b\u0085c\u2028d\u200be\u00a0\u00a0f\t\tg\u0000");
        assertEquals("a b c d e f g", sanitised);
        assertEquals("", AccessDecision.sanitize("\n\r\t\u001b"));
        assertEquals("Ünïcödé 名前 ok", AccessDecision.sanitize("  Ünïcödé 名前 ok  "));
    }

    static Stream<Arguments> configs() {
        String identity = "identity = \"spiffe://cell-1.gitward/client/rails\"";
        return Stream.of(
                Arguments.of("http is refused", KEYS + "storage.access-check { url = \"http://rails:8080/allowed\", "
                        + identity + " }", List.of("storage.access-check.url: 'http://rails:8080/allowed' has a scheme that is"
                        + " not https (expected: an https:// URL such as https://rails.internal:8443/api/v4/internal/allowed,"
                        + " or empty for no access check)")),
                Arguments.of("credentials in the URL are refused and not repeated", KEYS + "storage.access-check { url ="
                        + " \"https://user:s3cret@rails/allowed\", " + identity + " }",
                        List.of("storage.access-check.url: 'https://…@rails…' carries user-info (expected: no credentials in"
                                + " the URL; the endpoint authenticates this node by its certificate)")),
                Arguments.of("a URL needs an identity", KEYS + "storage.access-check.url = \"https://rails/allowed\"",
                        List.of("storage.access-check.identity: missing (expected: the SPIFFE ID the access-check endpoint"
                                + " presents, e.g. spiffe://<trust-domain>/client/rails)")),
                Arguments.of("a bad identity and a bad timeout are both listed", KEYS + "storage.access-check { url ="
                        + " \"https://rails/allowed\", identity = \"spiffe://cell-1.gitward/wizard/rails\", timeout = -1s }",
                        List.of("storage.access-check.timeout", "storage.access-check.identity: 'spiffe://cell-1.gitward/"
                                + "wizard/rails'")),
                Arguments.of("a URL needs this node's key and certificate", "storage.access-check { url ="
                        + " \"https://rails/allowed\", " + identity + " }",
                        List.of("storage.access-check.url: set, but this node has no key and certificate to present")),
                Arguments.of("an identity without a URL is a mistake", "storage.access-check." + identity,
                        List.of("storage.access-check.identity: 'spiffe://cell-1.gitward/client/rails' is set but"
                                + " storage.access-check.url is empty")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void configurationProblemsNameTheKey(String name, String hocon, List<String> expected) throws Exception {
        GitwardConfig config = GitwardConfig.parse(hocon, dir, Map.of());
        AccessCheckSettings.read(config);
        List<String> problems = config.problems().all();
        for (String fragment : expected) {
            assertTrue(problems.stream().anyMatch(problem -> problem.startsWith(fragment)), fragment + " in " + problems);
        }
        assertFalse(String.join("\n", problems).contains("s3cret"), "no secret in a problem");
    }

    @Test
    void aCompleteSectionIsAccepted() throws Exception {
        GitwardConfig config = GitwardConfig.parse(KEYS + "storage.access-check { url = \"https://[::1]:8443/api/v4/"
                + "internal/allowed\", identity = \"spiffe://cell-1.gitward/client/rails\", timeout = 2s }", dir, Map.of());
        AccessCheckSettings settings = AccessCheckSettings.read(config);
        assertEquals(List.of(), config.problems().all());
        assertTrue(settings.enabled());
        assertEquals("spiffe://cell-1.gitward/client/rails", settings.identity().spiffeId());
        assertEquals(Duration.ofSeconds(2), settings.timeout());
    }

    @Test
    void noUrlMeansNoCheckWithTheDefaultTimeout() throws Exception {
        GitwardConfig config = GitwardConfig.parse("", dir, Map.of());
        AccessCheckSettings settings = AccessCheckSettings.read(config);
        assertEquals(List.of(), config.problems().all());
        assertFalse(settings.enabled());
        assertNull(settings.identity());
        assertEquals(Duration.ofSeconds(5), settings.timeout());
    }
}
