package io.gitward.security.server;

import io.gitward.security.files.SecureFiles;
import io.gitward.security.json.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code ready.json}: written atomically once every listener is bound, so tests and tools read
 * addresses instead of guessing ports (schema in docs/contracts.md).
 *
 * @param schema    always {@value #SCHEMA}
 * @param listeners listener name to bound "host:port" ("grpc-plaintext", "grpc-tls", "health")
 * @param identity  the node certificate's SPIFFE ID, or null without one
 */
public record ReadyFile(String schema, String kind, String name, long pid, String identity, int phase,
        String version, String startedAt, Map<String, String> listeners) {
    public static final String SCHEMA = "gitward.ready/v1";

    public ReadyFile {
        listeners = Map.copyOf(listeners);
    }

    public void write(Path file) throws IOException {
        SecureFiles.writePublic(file, Json.write(this));
    }

    public static ReadyFile read(Path file) throws IOException {
        return Json.mapper().readValue(file.toFile(), ReadyFile.class);
    }
}
