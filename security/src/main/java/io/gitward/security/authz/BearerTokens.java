package io.gitward.security.authz;

import io.gitward.security.audit.SecurityMetrics;
import io.gitward.security.phase.TokenPolicy;
import io.gitward.security.token.TokenVerdict;
import io.gitward.security.token.Tokens;

/**
 * The verdict on the value of an {@code authorization} header ({@code Bearer <token>}) under the phase's token
 * rule, the same for gRPC metadata and HTTP headers. Counts each verdict; never logs or returns the token.
 */
public final class BearerTokens {
    private static final String BEARER = "Bearer ";

    private BearerTokens() {
    }

    /**
     * @param value   the header value, or null when the caller sent none
     * @param tokens  the configured secrets, or null when the node has none (nothing can be checked)
     */
    public static TokenVerdict verdict(String value, TokenPolicy policy, Tokens tokens, SecurityMetrics metrics) {
        if (value == null) {
            return TokenVerdict.ABSENT;
        }
        TokenVerdict verdict;
        if (policy == TokenPolicy.IGNORED) {
            verdict = TokenVerdict.UNCHECKED;
        } else if (!value.startsWith(BEARER)) {
            verdict = TokenVerdict.MALFORMED;
        } else {
            // Without a secret nothing can be checked; phases that require tokens refuse to start without one.
            verdict = tokens == null ? TokenVerdict.UNCHECKED : tokens.verify(value.substring(BEARER.length()));
        }
        metrics.token(verdict.code());
        return verdict;
    }
}
