package io.gitward.tests;

import io.gitward.security.files.SecureFiles;
import io.gitward.security.token.TokenSecret;
import io.gitward.security.token.Tokens;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;

/** Legacy bearer tokens as a Gitaly-era client would send them. */
public final class TestTokens {
    private TestTokens() {
    }

    /** Writes a token file with owner-only permissions, as nodes require. */
    public static void writeSecret(Path file, String secret) throws IOException {
        SecureFiles.writePrivate(file, (secret + "\n").getBytes(StandardCharsets.UTF_8));
    }

    public static Tokens tokens(String secret) {
        return new Tokens(TokenSecret.of(secret), Duration.ofSeconds(30), Clock.systemUTC(), 10_000);
    }

    /** Call credentials that attach a fresh token to every call. */
    public static CallCredentials bearer(String secret) {
        Tokens tokens = tokens(secret);
        return new CallCredentials() {
            @Override
            public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
                Metadata headers = new Metadata();
                headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + tokens.issue());
                applier.apply(headers);
            }
        };
    }
}
