package io.gitward.tests.proxy;

import io.grpc.Metadata;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link EchoStorage} saw, as a line-per-event file its process appends to and tests read: {@code call ID
 * METHOD DEADLINE_MS HEADERS}, {@code message ID BYTES}, {@code cancel ID}, with bytes and header values in base64.
 */
final class EchoJournal {
    private static final Base64.Encoder ENCODE = Base64.getEncoder();
    private static final Base64.Decoder DECODE = Base64.getDecoder();

    private EchoJournal() {
    }

    static Path file(Path dataDirectory) {
        return dataDirectory.resolve("echo-journal");
    }

    /** One call as the stand-in saw it; the deadline is the time left when it arrived, -1 without one. */
    record Seen(String method, long deadlineMillis, Metadata headers, List<byte[]> messages, boolean cancelled) {
    }

    /** Every call in the journal, in arrival order; none when the file does not exist yet. */
    static List<Seen> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Seen> calls = new LinkedHashMap<>();
        for (String line : lines) {
            String[] parts = line.split(" ", -1);
            switch (parts[0]) {
                case "call" -> calls.put(parts[1], new Seen(parts[2], Long.parseLong(parts[3]), headers(parts[4]),
                        new ArrayList<>(), false));
                case "message" -> calls.get(parts[1]).messages().add(DECODE.decode(parts[2]));
                case "cancel" -> calls.computeIfPresent(parts[1], (id, seen) -> new Seen(seen.method(),
                        seen.deadlineMillis(), seen.headers(), seen.messages(), true));
                default -> throw new IllegalStateException("journal " + file + ": unexpected line " + line);
            }
        }
        return List.copyOf(calls.values());
    }

    private static Metadata headers(String encoded) {
        Metadata headers = new Metadata();
        if (encoded.isEmpty()) {
            return headers;
        }
        for (String entry : encoded.split(",")) {
            String key = entry.substring(0, entry.indexOf('='));
            byte[] value = DECODE.decode(entry.substring(key.length() + 1));
            if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                headers.put(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER), value);
            } else {
                headers.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), new String(value,
                        StandardCharsets.US_ASCII));
            }
        }
        return headers;
    }

    /** Appends events, one synchronous write each, so a reader in another process sees them at once. */
    static final class Writer {
        private final Path file;

        Writer(Path file) {
            this.file = file;
        }

        void call(int id, String method, long deadlineMillis, Metadata headers) {
            List<String> entries = new ArrayList<>();
            for (String key : headers.keys()) {
                if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                    headers.getAll(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER))
                            .forEach(value -> entries.add(key + "=" + ENCODE.encodeToString(value)));
                } else {
                    headers.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER)).forEach(value -> entries.add(
                            key + "=" + ENCODE.encodeToString(value.getBytes(StandardCharsets.US_ASCII))));
                }
            }
            append("call " + id + " " + method + " " + deadlineMillis + " " + String.join(",", entries));
        }

        void message(int id, byte[] message) {
            append("message " + id + " " + ENCODE.encodeToString(message));
        }

        void cancel(int id) {
            append("cancel " + id);
        }

        private synchronized void append(String line) {
            try {
                Files.writeString(file, line + "\n", StandardCharsets.US_ASCII, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException("echo journal " + file, e);
            }
        }
    }
}
