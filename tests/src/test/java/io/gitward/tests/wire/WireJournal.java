package io.gitward.tests.wire;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * What a recorder or a relay received, one event per line, appended by its process and read by the test: {@code open
 * CONN ORIGIN} (a connection, or one direction of a relayed one), {@code raw CONN BYTES} (bytes as they arrived, after
 * TLS decryption), {@code headers CONN STREAM NAME:VALUE,...} (a decoded header block), {@code message CONN STREAM
 * BYTES} (a gRPC message), {@code problem CONN TEXT} (what could not be decoded). Bytes, values and texts are base64.
 * A line is written with one system call, so a reader sees whole lines (it ignores an unfinished last one); line
 * numbers are the journal's clock: a test marks phases by the number of lines it has seen.
 */
final class WireJournal {
    private static final Base64.Encoder ENCODE = Base64.getEncoder();
    private static final Base64.Decoder DECODE = Base64.getDecoder();

    private WireJournal() {
    }

    /** One line of a journal; {@code line} counts from 0. */
    sealed interface Event permits Opened, Raw, Headers, Message, Problem {
        int line();

        String connection();
    }

    record Opened(int line, String connection, String origin) implements Event {
    }

    record Raw(int line, String connection, byte[] bytes) implements Event {
    }

    record Headers(int line, String connection, int stream, List<WireHeader> headers) implements Event {
    }

    record Message(int line, String connection, int stream, byte[] bytes) implements Event {
    }

    record Problem(int line, String connection, String text) implements Event {
    }

    /** Every complete line of {@code file}; none when it does not exist yet. */
    static List<Event> read(Path file) {
        String content;
        try {
            content = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("wire journal " + file, e);
        }
        int complete = content.lastIndexOf('\n') + 1;
        List<Event> events = new ArrayList<>();
        int line = 0;
        for (String text : content.substring(0, complete).split("\n")) {
            if (!text.isEmpty()) {
                events.add(parse(file, line, text));
            }
            line++;
        }
        return events;
    }

    /** The number of complete lines in {@code file} now (0 when it does not exist): a mark between phases. */
    static int lines(Path file) {
        return read(file).size();
    }

    private static Event parse(Path file, int line, String text) {
        String[] parts = text.split(" ", -1);
        try {
            return switch (parts[0]) {
                case "open" -> new Opened(line, parts[1], text(parts[2]));
                case "raw" -> new Raw(line, parts[1], DECODE.decode(parts[2]));
                case "headers" -> new Headers(line, parts[1], Integer.parseInt(parts[2]), headers(parts[3]));
                case "message" -> new Message(line, parts[1], Integer.parseInt(parts[2]), DECODE.decode(parts[3]));
                case "problem" -> new Problem(line, parts[1], text(parts[2]));
                default -> throw new IllegalArgumentException("unknown event '" + parts[0] + "'");
            };
        } catch (RuntimeException e) {
            throw new IllegalStateException("wire journal " + file + " line " + (line + 1) + ": " + e.getMessage()
                    + " (the recorder and this reader disagree on the format)", e);
        }
    }

    private static List<WireHeader> headers(String encoded) {
        List<WireHeader> headers = new ArrayList<>();
        if (encoded.isEmpty()) {
            return headers;
        }
        for (String entry : encoded.split(",")) {
            int colon = entry.indexOf(':');
            headers.add(new WireHeader(text(entry.substring(0, colon)), DECODE.decode(entry.substring(colon + 1))));
        }
        return headers;
    }

    private static String text(String base64) {
        return new String(DECODE.decode(base64), StandardCharsets.UTF_8);
    }

    private static String encode(String text) {
        return ENCODE.encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Appends events to a journal; thread-safe, unbuffered (each line reaches the file at once). */
    static final class Writer implements AutoCloseable {
        private final Path file;
        private final OutputStream out;

        Writer(Path file) {
            this.file = file;
            try {
                Files.createDirectories(file.toAbsolutePath().getParent());
                this.out = new FileOutputStream(file.toFile(), true);
            } catch (IOException e) {
                throw new UncheckedIOException("wire journal " + file + " cannot be opened for appending", e);
            }
        }

        void opened(String connection, String origin) {
            append("open " + connection + " " + encode(origin));
        }

        void raw(String connection, byte[] bytes) {
            append("raw " + connection + " " + ENCODE.encodeToString(bytes));
        }

        void headers(String connection, int stream, List<WireHeader> headers) {
            List<String> entries = new ArrayList<>();
            for (WireHeader header : headers) {
                entries.add(encode(header.name()) + ":" + ENCODE.encodeToString(header.value()));
            }
            append("headers " + connection + " " + stream + " " + String.join(",", entries));
        }

        void message(String connection, int stream, byte[] bytes) {
            append("message " + connection + " " + stream + " " + ENCODE.encodeToString(bytes));
        }

        void problem(String connection, String text) {
            append("problem " + connection + " " + encode(text));
        }

        /** A decoder listener that journals what it decodes under {@code connection}. */
        Http2Decoder.Listener listener(String connection) {
            return new Http2Decoder.Listener() {
                @Override
                public void headers(int stream, List<WireHeader> headers) {
                    Writer.this.headers(connection, stream, headers);
                }

                @Override
                public void message(int stream, byte[] message) {
                    Writer.this.message(connection, stream, message);
                }

                @Override
                public void problem(String description) {
                    Writer.this.problem(connection, description);
                }
            };
        }

        private synchronized void append(String line) {
            try {
                out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                throw new UncheckedIOException("wire journal " + file, e);
            }
        }

        @Override
        public synchronized void close() {
            try {
                out.close();
            } catch (IOException e) {
                throw new UncheckedIOException("wire journal " + file, e);
            }
        }
    }
}
