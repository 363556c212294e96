package io.gitward.security.phase;

import io.gitward.security.config.GitwardConfig;
import io.netty.handler.ssl.ClientAuth;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The flags a node runs with and where each came from ("phase 4 preset", "file node.conf:12",
 * "environment GITWARD_SECURITY_FLAGS_AUTHORIZATION"), as {@code status} reports them.
 */
public record EffectiveFlags(int phase, PhaseFlags flags, Map<String, String> values, Map<String, String> sources) {
    public static final String PREFIX = "security.flags.";
    public static final String LEGACY_FORWARD_TOKEN = "security.legacy-forward-token-in-transaction";

    public EffectiveFlags {
        values = Map.copyOf(values);
        sources = Map.copyOf(sources);
    }

    /** Reads {@code security.phase} and every {@code security.flags.*} override; problems go to the config. */
    public static EffectiveFlags read(GitwardConfig config) {
        int phase = config.integer("security.phase", 0, 6);
        PhaseFlags preset = PhaseFlags.preset(phase);
        Reader reader = new Reader(config, phase);
        boolean plaintext = reader.bool("plaintext-listener", preset.plaintextListener());
        ClientAuth clientAuth = reader.enumValue("client-auth", ClientAuth.class, preset.clientAuth());
        AuthorizationMode authorization = reader.enumValue("authorization", AuthorizationMode.class, preset.authorization());
        TokenPolicy tokens = reader.enumValue("tokens", TokenPolicy.class, preset.tokens());
        boolean outboundTls = reader.bool("outbound-tls", preset.outboundTls());
        boolean outboundCert = reader.bool("outbound-client-cert", preset.outboundClientCert());
        OutboundToken outboundToken = reader.enumValue("outbound-token", OutboundToken.class, preset.outboundToken());
        boolean staleCrl = reader.bool("stale-crl-fails-closed", preset.staleCrlFailsClosed());
        boolean legacy = reader.boolAt(LEGACY_FORWARD_TOKEN, "legacy-forward-token-in-transaction",
                preset.legacyForwardTokenInTransaction());
        PhaseFlags flags = new PhaseFlags(plaintext, clientAuth, authorization, tokens, outboundTls, outboundCert,
                outboundToken, staleCrl, legacy);
        if (!plaintext && !config.isSet("listen.grpc-tls")) {
            config.problems().add("listen.grpc-tls", "missing while the plaintext listener is closed (phase " + phase
                    + "); a node must have a gRPC listener");
        }
        return new EffectiveFlags(phase, flags, reader.values, reader.sources);
    }

    /** Reads one flag: the override when set, else the preset, recording value and source. */
    private static final class Reader {
        private final GitwardConfig config;
        private final int phase;
        private final Map<String, String> values = new LinkedHashMap<>();
        private final Map<String, String> sources = new LinkedHashMap<>();

        Reader(GitwardConfig config, int phase) {
            this.config = config;
            this.phase = phase;
        }

        boolean bool(String flag, boolean preset) {
            return boolAt(PREFIX + flag, flag, preset);
        }

        boolean boolAt(String key, String flag, boolean preset) {
            boolean value = config.isSet(key) ? config.bool(key, preset) : preset;
            record(flag, key, String.valueOf(value));
            return value;
        }

        <E extends Enum<E>> E enumValue(String flag, Class<E> type, E preset) {
            String key = PREFIX + flag;
            E value = config.isSet(key) ? config.enumValue(key, type, preset) : preset;
            record(flag, key, GitwardConfig.wireName(value));
            return value;
        }

        private void record(String flag, String key, String value) {
            values.put(flag, value);
            sources.put(flag, config.isSet(key) ? config.sourceOf(key) : "phase " + phase + " preset");
        }
    }
}
