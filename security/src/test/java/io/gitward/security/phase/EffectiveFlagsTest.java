package io.gitward.security.phase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.config.GitwardConfig;
import io.netty.handler.ssl.ClientAuth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The effective flags: the phase preset, each flag overridable by the file or the environment, with its source. */
class EffectiveFlagsTest {
    private static final List<String> FLAGS = List.of("plaintext-listener", "client-auth", "authorization", "tokens",
            "outbound-tls", "outbound-client-cert", "outbound-token", "stale-crl-fails-closed",
            "legacy-forward-token-in-transaction");
    /** Phases 5 and 6 close the plaintext listener, so a node needs its TLS listener. */
    private static final String TLS_LISTENER = "listen.grpc-tls = \"127.0.0.1:0\"\n";

    @TempDir
    Path dir;

    private EffectiveFlags read(String hocon, Map<String, String> environment) throws Exception {
        GitwardConfig config = GitwardConfig.parse(hocon, dir, environment);
        EffectiveFlags flags = EffectiveFlags.read(config);
        assertTrue(config.problems().isEmpty(), config.problems().all().toString());
        return flags;
    }

    static IntStream phases() {
        return IntStream.rangeClosed(0, 6);
    }

    @ParameterizedTest(name = "phase {0} without overrides runs its preset")
    @MethodSource("phases")
    void withoutOverridesEachPhaseRunsItsPreset(int phase) throws Exception {
        EffectiveFlags flags = read("security.phase = " + phase + "\n" + TLS_LISTENER, Map.of());
        assertEquals(phase, flags.phase());
        assertEquals(PhaseFlags.preset(phase), flags.flags());
        assertEquals(FLAGS.size(), flags.sources().size(), flags.sources().toString());
        for (String flag : FLAGS) {
            assertEquals("phase " + phase + " preset", flags.sources().get(flag), flag);
        }
        PhaseFlags preset = PhaseFlags.preset(phase);
        assertEquals(String.valueOf(preset.plaintextListener()), flags.values().get("plaintext-listener"));
        assertEquals(GitwardConfig.wireName(preset.clientAuth()), flags.values().get("client-auth"));
        assertEquals(GitwardConfig.wireName(preset.tokens()), flags.values().get("tokens"));
        assertEquals(String.valueOf(preset.legacyForwardTokenInTransaction()),
                flags.values().get("legacy-forward-token-in-transaction"));
    }

    private static PhaseFlags copy(PhaseFlags f, Boolean plaintext, ClientAuth clientAuth, AuthorizationMode authorization,
            TokenPolicy tokens, Boolean outboundTls, Boolean outboundCert, OutboundToken outboundToken, Boolean staleCrl,
            Boolean legacy) {
        return new PhaseFlags(plaintext != null ? plaintext : f.plaintextListener(),
                clientAuth != null ? clientAuth : f.clientAuth(),
                authorization != null ? authorization : f.authorization(), tokens != null ? tokens : f.tokens(),
                outboundTls != null ? outboundTls : f.outboundTls(), outboundCert != null ? outboundCert : f.outboundClientCert(),
                outboundToken != null ? outboundToken : f.outboundToken(), staleCrl != null ? staleCrl : f.staleCrlFailsClosed(),
                legacy != null ? legacy : f.legacyForwardTokenInTransaction());
    }

    static Stream<Arguments> overrides() {
        return Stream.of(
                Arguments.of("phase 4 with authorization enforce", 4, "security.flags.authorization = enforce",
                        "authorization", "enforce",
                        (UnaryOperator<PhaseFlags>) f -> copy(f, null, null, AuthorizationMode.ENFORCE, null, null, null, null,
                                null, null)),
                Arguments.of("phase 3 with the plaintext listener closed", 3, "security.flags.plaintext-listener = false",
                        "plaintext-listener", "false",
                        (UnaryOperator<PhaseFlags>) f -> copy(f, false, null, null, null, null, null, null, null, null)),
                Arguments.of("phase 2 with client certificates required", 2, "security.flags.client-auth = require",
                        "client-auth", "require",
                        (UnaryOperator<PhaseFlags>) f -> copy(f, null, ClientAuth.REQUIRE, null, null, null, null, null, null,
                                null)),
                Arguments.of("phase 0 with tokens transitioning", 0, "security.flags.tokens = transitioning", "tokens",
                        "transitioning",
                        (UnaryOperator<PhaseFlags>) f -> copy(f, null, null, null, TokenPolicy.TRANSITIONING, null, null, null,
                                null, null)),
                Arguments.of("phase 2 with tokens required on plaintext", 2, "security.flags.tokens = required-on-plaintext",
                        "tokens", "required-on-plaintext",
                        (UnaryOperator<PhaseFlags>) f -> copy(f, null, null, null, TokenPolicy.REQUIRED_ON_PLAINTEXT, null,
                                null, null, null, null)),
                Arguments.of("phase 0 dialing TLS", 0, "security.flags.outbound-tls = true", "outbound-tls", "true",
                        (UnaryOperator<PhaseFlags>) f -> copy(f, null, null, null, null, true, null, null, null, null)),
                Arguments.of("phase 1 presenting its certificate", 1, "security.flags.outbound-client-cert = true",
                        "outbound-client-cert", "true",
                        (UnaryOperator<PhaseFlags>) f -> copy(f, null, null, null, null, null, true, null, null, null)),
                Arguments.of("phase 3 sending its token always", 3, "security.flags.outbound-token = always",
                        "outbound-token", "always",
                        (UnaryOperator<PhaseFlags>) f -> copy(f, null, null, null, null, null, null, OutboundToken.ALWAYS, null,
                                null)),
                Arguments.of("phase 5 with stale CRLs only warning", 5, "security.flags.stale-crl-fails-closed = false",
                        "stale-crl-fails-closed", "false",
                        (UnaryOperator<PhaseFlags>) f -> copy(f, null, null, null, null, null, null, null, false, null)),
                Arguments.of("phase 1 without the legacy token in transactions", 1,
                        "security.legacy-forward-token-in-transaction = false", "legacy-forward-token-in-transaction",
                        "false",
                        (UnaryOperator<PhaseFlags>) f -> copy(f, null, null, null, null, null, null, null, null, false)));
    }

    @ParameterizedTest(name = "{0}: the file's override wins, and only that flag leaves the preset")
    @MethodSource("overrides")
    void anOverrideInTheFileWinsAndNamesItsLine(String name, int phase, String line, String flag, String value,
            UnaryOperator<PhaseFlags> expected) throws Exception {
        Path file = dir.resolve("node.conf");
        Files.writeString(file, "security.phase = " + phase + "\n" + TLS_LISTENER + line + "\n");
        GitwardConfig config = GitwardConfig.load(file, Map.of());
        EffectiveFlags flags = EffectiveFlags.read(config);
        assertTrue(config.problems().isEmpty(), config.problems().all().toString());

        assertEquals(expected.apply(PhaseFlags.preset(phase)), flags.flags());
        assertEquals(value, flags.values().get(flag));
        assertEquals("file " + file + ":3", flags.sources().get(flag));
        for (String other : FLAGS) {
            if (!other.equals(flag)) {
                assertEquals("phase " + phase + " preset", flags.sources().get(other), other);
            }
        }
    }

    @Test
    void anOverrideInParsedTextNamesTheConfigAndItsLine() throws Exception {
        EffectiveFlags flags = read("security.phase = 4\nsecurity.flags.authorization = enforce\n", Map.of());
        assertEquals(AuthorizationMode.ENFORCE, flags.flags().authorization());
        assertEquals("config: 2", flags.sources().get("authorization"));
    }

    @Test
    void anEnvironmentOverrideWinsOverTheFile() throws Exception {
        EffectiveFlags flags = read("security.phase = 4\nsecurity.flags.authorization = audit\n",
                Map.of("GITWARD_SECURITY_FLAGS_AUTHORIZATION", "enforce"));
        assertEquals(AuthorizationMode.ENFORCE, flags.flags().authorization());
        assertEquals("enforce", flags.values().get("authorization"));
        assertEquals("environment GITWARD_SECURITY_FLAGS_AUTHORIZATION", flags.sources().get("authorization"));
        assertEquals("phase 4 preset", flags.sources().get("tokens"));
    }

    @Test
    void environmentOverridesOfBooleanFlagsAndThePhaseApply() throws Exception {
        EffectiveFlags flags = read("security.phase = 1\n", Map.of("GITWARD_SECURITY_PHASE", "3",
                "GITWARD_SECURITY_FLAGS_PLAINTEXT_LISTENER", "false", "GITWARD_LISTEN_GRPC_TLS", "127.0.0.1:0"));
        assertEquals(3, flags.phase());
        assertEquals(copy(PhaseFlags.preset(3), false, null, null, null, null, null, null, null, null), flags.flags());
        assertEquals("environment GITWARD_SECURITY_FLAGS_PLAINTEXT_LISTENER", flags.sources().get("plaintext-listener"));
        assertEquals("phase 3 preset", flags.sources().get("client-auth"));
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of("an unknown authorization mode in the file", "security.flags.authorization = strict", Map.of(),
                        "security.flags.authorization: 'strict' (expected one of: off, audit, enforce)"),
                Arguments.of("an upper-case client-auth in the file", "security.flags.client-auth = REQUIRE", Map.of(),
                        "security.flags.client-auth: 'REQUIRE' (expected one of: none, optional, require)"),
                Arguments.of("an unknown token policy from the environment", "",
                        Map.of("GITWARD_SECURITY_FLAGS_TOKENS", "sometimes"), "security.flags.tokens: 'sometimes'"),
                Arguments.of("a non-boolean plaintext-listener", "security.flags.plaintext-listener = maybe", Map.of(),
                        "security.flags.plaintext-listener: 'maybe' (expected: true or false)"),
                Arguments.of("a phase out of range", "security.phase = 7", Map.of(), "security.phase: 7 (expected: 0..6)"));
    }

    @ParameterizedTest(name = "{0} is a problem naming the key")
    @MethodSource("badValues")
    void badValuesAreProblemsNamingTheKey(String name, String line, Map<String, String> environment, String expected)
            throws Exception {
        GitwardConfig config = GitwardConfig.parse("security.phase = 4\n" + line + "\n", dir, environment);
        EffectiveFlags flags = EffectiveFlags.read(config);
        List<String> problems = config.problems().all();
        assertTrue(problems.stream().anyMatch(problem -> problem.startsWith(expected)), problems.toString());
        assertEquals(PhaseFlags.preset(flags.phase()).authorization(), flags.flags().authorization());
    }

    static Stream<Arguments> badOverrides() {
        return Stream.of(
                Arguments.of("an unknown authorization mode", "security.flags.authorization = strict",
                        "security.flags.authorization:"),
                Arguments.of("a non-boolean plaintext-listener", "security.flags.plaintext-listener = maybe",
                        "security.flags.plaintext-listener:"),
                Arguments.of("a non-boolean outbound-tls", "security.flags.outbound-tls = 1x",
                        "security.flags.outbound-tls:"));
    }

    @ParameterizedTest(name = "{0} keeps the preset and is the only problem")
    @MethodSource("badOverrides")
    void aBadOverrideKeepsThePresetAndCausesNoFollowUpProblem(String name, String line, String expected)
            throws Exception {
        GitwardConfig config = GitwardConfig.parse("security.phase = 4\n" + line + "\n", dir, Map.of());
        EffectiveFlags flags = EffectiveFlags.read(config);
        List<String> problems = config.problems().all();
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith(expected), problems.toString());
        assertEquals(PhaseFlags.preset(4), flags.flags());
    }

    static Stream<Arguments> noGrpcListener() {
        return Stream.of(
                Arguments.of("phase 5 without a TLS listener", "security.phase = 5"),
                Arguments.of("phase 6 without a TLS listener", "security.phase = 6"),
                Arguments.of("phase 3 closing plaintext without a TLS listener",
                        "security.phase = 3\nsecurity.flags.plaintext-listener = false"));
    }

    @ParameterizedTest(name = "{0} is a problem")
    @MethodSource("noGrpcListener")
    void aNodeWithoutAnyGrpcListenerIsAProblem(String name, String hocon) throws Exception {
        GitwardConfig config = GitwardConfig.parse(hocon, dir, Map.of());
        EffectiveFlags.read(config);
        List<String> problems = config.problems().all();
        assertTrue(problems.stream().anyMatch(problem -> problem.startsWith("listen.grpc-tls: missing while the plaintext"
                + " listener is closed")), problems.toString());
    }
}
