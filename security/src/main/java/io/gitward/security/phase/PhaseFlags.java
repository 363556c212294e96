package io.gitward.security.phase;

import io.netty.handler.ssl.ClientAuth;

/**
 * The effective security flags of a node: what the phase preset says, with any per-flag override.
 *
 * @param plaintextListener      whether the plaintext gRPC listener is open
 * @param clientAuth             what the TLS listener asks of clients
 * @param authorization          scope-to-role policy mode
 * @param tokens                 inbound token rule
 * @param outboundTls            dial peers over TLS where they offer it
 * @param outboundClientCert     present this node's certificate when dialing
 * @param outboundToken          when to send this node's token
 * @param staleCrlFailsClosed    whether a CRL past its next-update refuses peers
 * @param legacyForwardTokenInTransaction the insecure legacy scheme: the proxy's token inside transaction metadata
 */
public record PhaseFlags(boolean plaintextListener, ClientAuth clientAuth, AuthorizationMode authorization,
        TokenPolicy tokens, boolean outboundTls, boolean outboundClientCert, OutboundToken outboundToken,
        boolean staleCrlFailsClosed, boolean legacyForwardTokenInTransaction) {

    /** The preset of {@code phase} (0..6); phase 4 presets authorization {@code audit}. */
    public static PhaseFlags preset(int phase) {
        return switch (phase) {
            case 0 -> new PhaseFlags(true, ClientAuth.NONE, AuthorizationMode.OFF, TokenPolicy.REQUIRED, false, false,
                    OutboundToken.ALWAYS, false, true);
            case 1 -> new PhaseFlags(true, ClientAuth.NONE, AuthorizationMode.OFF, TokenPolicy.REQUIRED, true, false,
                    OutboundToken.ALWAYS, false, true);
            case 2 -> new PhaseFlags(true, ClientAuth.OPTIONAL, AuthorizationMode.OFF, TokenPolicy.REQUIRED_WITHOUT_CERT,
                    true, true, OutboundToken.ALWAYS, false, true);
            case 3 -> new PhaseFlags(true, ClientAuth.REQUIRE, AuthorizationMode.OFF, TokenPolicy.REQUIRED_ON_PLAINTEXT,
                    true, true, OutboundToken.PLAINTEXT_ONLY, true, false);
            case 4 -> new PhaseFlags(true, ClientAuth.REQUIRE, AuthorizationMode.AUDIT, TokenPolicy.REQUIRED_ON_PLAINTEXT,
                    true, true, OutboundToken.PLAINTEXT_ONLY, true, false);
            case 5 -> new PhaseFlags(false, ClientAuth.REQUIRE, AuthorizationMode.ENFORCE, TokenPolicy.VALIDATE_IF_SENT,
                    true, true, OutboundToken.NEVER, true, false);
            case 6 -> new PhaseFlags(false, ClientAuth.REQUIRE, AuthorizationMode.ENFORCE, TokenPolicy.IGNORED, true, true,
                    OutboundToken.NEVER, true, false);
            default -> throw new IllegalArgumentException("phase " + phase + " (expected: 0..6)");
        };
    }

    /** Whether a caller that could present a certificate (phase ≥ 2 behaviour) may still use a token for privileged scopes. */
    public boolean tokenMayGrantPrivilegedScopes() {
        return clientAuth == ClientAuth.NONE;
    }
}
