package io.gitward.proxy.tx;

import io.gitward.proto.TransactionContext;
import io.gitward.security.runtime.SecurityRuntime;

/**
 * The old design's callback credential: only with the INSECURE {@code legacy-forward-token-in-transaction}
 * flag (phases 0-2 preset it) does the proxy put a fresh token of its own into the transaction context.
 */
final class LegacyToken {
    private LegacyToken() {
    }

    static void addIfEnabled(TransactionContext.Builder context, SecurityRuntime security) {
        if (security.phaseFlags().legacyForwardTokenInTransaction() && security.tokens() != null) {
            context.setLegacyToken(security.tokens().issue());
        }
    }
}
