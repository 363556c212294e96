package io.gitward.security.phase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.handler.ssl.ClientAuth;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The presets, row by row from the table of design.md section 4 (written from the design, not from the code). */
class PhaseFlagsTest {
    static Stream<Arguments> presets() {
        return Stream.of(
                Arguments.of("phase 0 legacy: plaintext open, no client certificates, tokens from everyone", 0, true,
                        ClientAuth.NONE, AuthorizationMode.OFF, TokenPolicy.REQUIRED, false, false, true),
                Arguments.of("phase 1 identities: every node dials TLS, tokens still required", 1, true, ClientAuth.NONE,
                        AuthorizationMode.OFF, TokenPolicy.REQUIRED, true, false, true),
                Arguments.of("phase 2 client certs optional: tokens only without a certificate", 2, true,
                        ClientAuth.OPTIONAL, AuthorizationMode.OFF, TokenPolicy.REQUIRED_WITHOUT_CERT, true, true, true),
                Arguments.of("phase 3 certs enforced: tokens only on plaintext", 3, true, ClientAuth.REQUIRE,
                        AuthorizationMode.OFF, TokenPolicy.REQUIRED_ON_PLAINTEXT, true, true, false),
                Arguments.of("phase 4 authorization: audit is the preset", 4, true, ClientAuth.REQUIRE, AuthorizationMode.AUDIT,
                        TokenPolicy.REQUIRED_ON_PLAINTEXT, true, true, false),
                Arguments.of("phase 5 TLS only: plaintext closed, tokens validated if sent", 5, false, ClientAuth.REQUIRE,
                        AuthorizationMode.ENFORCE, TokenPolicy.VALIDATE_IF_SENT, true, true, false),
                Arguments.of("phase 6 identities only: tokens ignored", 6, false, ClientAuth.REQUIRE,
                        AuthorizationMode.ENFORCE, TokenPolicy.IGNORED, true, true, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("presets")
    void presetsFollowThePhaseTable(String name, int phase, boolean plaintext, ClientAuth clientAuth,
            AuthorizationMode authorization, TokenPolicy tokens, boolean outboundTls, boolean outboundCert, boolean legacy) {
        PhaseFlags flags = PhaseFlags.preset(phase);
        assertEquals(plaintext, flags.plaintextListener(), "plaintext listener");
        assertEquals(clientAuth, flags.clientAuth(), "client auth");
        assertEquals(authorization, flags.authorization(), "authorization");
        assertEquals(tokens, flags.tokens(), "tokens");
        assertEquals(outboundTls, flags.outboundTls(), "dials TLS from phase 1");
        assertEquals(outboundCert, flags.outboundClientCert(), "presents its certificate from phase 2");
        assertEquals(legacy, flags.legacyForwardTokenInTransaction(), "the legacy scheme is preset in phases 0-2");
        assertEquals(clientAuth == ClientAuth.NONE, flags.tokenMayGrantPrivilegedScopes(),
                "tokens open privileged scopes only while certificates are not asked for");
    }

    @ParameterizedTest(name = "phase {0} is refused")
    @ValueSource(ints = {-1, 7, 100})
    void phasesOutsideZeroToSixAreRefused(int phase) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PhaseFlags.preset(phase));
        assertEquals("phase " + phase + " (expected: 0..6)", e.getMessage());
    }
}
