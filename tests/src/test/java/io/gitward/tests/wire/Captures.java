package io.gitward.tests.wire;

import com.google.protobuf.InvalidProtocolBufferException;
import io.gitward.proto.TransactionContext;
import io.gitward.tests.wire.WireJournal.Event;
import io.gitward.tests.wire.WireJournal.Headers;
import io.gitward.tests.wire.WireJournal.Message;
import io.gitward.tests.wire.WireJournal.Opened;
import io.gitward.tests.wire.WireJournal.Problem;
import io.gitward.tests.wire.WireJournal.Raw;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The journals of a run — recorders inside nodes, relays on plaintext links — by source name, and marks (line counts
 * taken at a moment) that cut them into segments: one per phase, one per phase change, one for the controls.
 */
final class Captures {
    static final String RELAY_PREFIX = "relay to ";

    /** How many complete lines each journal had at one moment. */
    record Mark(Map<String, Integer> lines) {
        int at(String source) {
            return lines.getOrDefault(source, 0);
        }
    }

    private final Map<String, Path> journals = new LinkedHashMap<>();

    /** A recorder's journal: what node {@code name} received. */
    void recorder(String name, Path journal) {
        journals.put(name, journal);
    }

    /** A relay's journal: what crossed the plaintext link to {@code target}. */
    void relay(String target, Path journal) {
        journals.put(RELAY_PREFIX + target, journal);
    }

    static boolean isRelay(String source) {
        return source.startsWith(RELAY_PREFIX);
    }

    Mark mark() {
        Map<String, Integer> lines = new LinkedHashMap<>();
        journals.forEach((source, file) -> lines.put(source, WireJournal.lines(file)));
        return new Mark(lines);
    }

    /**
     * A mark once no journal has grown for one poll interval (bytes of calls that already returned, such as a
     * replica's last vote, land before it), or after {@code atMost} if traffic never pauses.
     */
    Mark markWhenQuiet(Duration atMost) {
        AtomicReference<Mark> last = new AtomicReference<>(mark());
        try {
            Awaitility.await().atMost(atMost).pollDelay(Duration.ofMillis(300)).pollInterval(Duration.ofMillis(300))
                    .until(() -> {
                        Mark now = mark();
                        return now.equals(last.getAndSet(now));
                    });
        } catch (ConditionTimeoutException e) {
            // Background traffic never paused: mark where it is; what follows counts for the next segment.
        }
        return mark();
    }

    /** Every journal's events now, by source. */
    Map<String, List<Event>> readAll() {
        Map<String, List<Event>> all = new LinkedHashMap<>();
        journals.forEach((source, file) -> all.put(source, WireJournal.read(file)));
        return all;
    }

    /** The events between two marks. */
    static Segment segment(String name, Map<String, List<Event>> all, Mark from, Mark to) {
        return new Segment(name, all, from, to);
    }

    /** What the journals recorded between two marks. */
    static final class Segment {
        private final String name;
        private final Map<String, List<Event>> events = new LinkedHashMap<>();
        private final Map<String, String> origins = new HashMap<>();

        private Segment(String name, Map<String, List<Event>> all, Mark from, Mark to) {
            this.name = name;
            all.forEach((source, list) -> {
                List<Event> inside = new ArrayList<>();
                for (Event event : list) {
                    if (event instanceof Opened opened) {
                        origins.put(source + " " + opened.connection(), opened.origin());
                    }
                    if (event.line() >= from.at(source) && event.line() < to.at(source)) {
                        inside.add(event);
                    }
                }
                events.put(source, inside);
            });
        }

        String name() {
            return name;
        }

        /** What to search: each connection's raw bytes, each header (and a binary one's decoded bytes), each message. */
        List<WireSearch.View> views() {
            List<WireSearch.View> views = new ArrayList<>();
            events.forEach((source, list) -> {
                Map<String, ByteArrayOutputStream> raw = new LinkedHashMap<>();
                for (Event event : list) {
                    if (event instanceof Raw bytes) {
                        raw.computeIfAbsent(bytes.connection(), c -> new ByteArrayOutputStream()).writeBytes(bytes.bytes());
                    } else if (event instanceof Headers headers) {
                        for (WireHeader header : headers.headers()) {
                            String where = "stream " + headers.stream() + " header " + header.name();
                            ByteArrayOutputStream line = new ByteArrayOutputStream();
                            line.writeBytes((header.name() + ": ").getBytes(StandardCharsets.ISO_8859_1));
                            line.writeBytes(header.value());
                            views.add(new WireSearch.View(source, headers.connection(), where, line.toByteArray()));
                            for (byte[] decoded : header.binaryValues()) {
                                views.add(new WireSearch.View(source, headers.connection(), where + " (base64-decoded)",
                                        decoded));
                            }
                        }
                    } else if (event instanceof Message message) {
                        views.add(new WireSearch.View(source, message.connection(), "stream " + message.stream()
                                + " message", message.bytes()));
                    }
                }
                raw.forEach((connection, bytes) -> views.add(new WireSearch.View(source, connection, "raw bytes",
                        bytes.toByteArray())));
            });
            return views;
        }

        /** The values of every header {@code name} in this segment (any source, any direction). */
        List<String> headerValues(String name) {
            List<String> values = new ArrayList<>();
            forEachHeader(header -> {
                if (header.name().equals(name)) {
                    values.add(header.text());
                }
            });
            return values;
        }

        /** Bearer values of {@code authorization} headers. */
        List<String> bearerValues() {
            List<String> values = new ArrayList<>();
            for (String value : headerValues("authorization")) {
                values.add(value.toLowerCase(Locale.ROOT).startsWith("bearer ") ? value.substring(7).strip() : value);
            }
            return values;
        }

        /** The legacy callback tokens inside {@code gitward-transaction-bin} headers (decoded as the proto). */
        List<String> callbackTokens() {
            List<String> tokens = new ArrayList<>();
            forEachHeader(header -> {
                if (!header.name().equals("gitward-transaction-bin")) {
                    return;
                }
                for (byte[] value : header.binaryValues()) {
                    try {
                        String token = TransactionContext.parseFrom(value).getLegacyToken();
                        if (!token.isEmpty()) {
                            tokens.add(token);
                        }
                    } catch (InvalidProtocolBufferException e) {
                        tokens.add("(undecodable gitward-transaction-bin)");
                    }
                }
            });
            return tokens;
        }

        private void forEachHeader(java.util.function.Consumer<WireHeader> action) {
            events.values().forEach(list -> list.stream().filter(Headers.class::isInstance).map(Headers.class::cast)
                    .forEach(headers -> headers.headers().forEach(action)));
        }

        /** Calls (request header blocks) {@code source} received; {@code method} null for all. */
        List<String> calls(String source, String method) {
            List<String> calls = new ArrayList<>();
            for (Event event : events.getOrDefault(source, List.of())) {
                if (event instanceof Headers headers) {
                    for (WireHeader header : headers.headers()) {
                        if (header.name().equals(":path") && (method == null || header.text().equals("/" + method))) {
                            calls.add(source + " " + headers.connection() + " " + header.text());
                        }
                    }
                }
            }
            return calls;
        }

        /** Whether {@code connection} of {@code source} was TLS (as the recorder saw when it took its place). */
        boolean tls(String source, String connection) {
            return origins.getOrDefault(source + " " + connection, "").startsWith("tls");
        }

        /** Calls {@code source} received on connections that were not TLS. */
        List<String> plaintextCalls(String source) {
            List<String> plaintext = new ArrayList<>();
            for (Event event : events.getOrDefault(source, List.of())) {
                if (event instanceof Headers headers && !tls(source, headers.connection())
                        && headers.headers().stream().anyMatch(h -> h.name().equals(":path"))) {
                    plaintext.add(source + " " + headers.connection());
                }
            }
            return plaintext;
        }

        List<String> problems() {
            List<String> problems = new ArrayList<>();
            events.forEach((source, list) -> list.stream().filter(Problem.class::isInstance).map(Problem.class::cast)
                    .forEach(problem -> problems.add(source + " " + problem.connection() + ": " + problem.text())));
            return problems;
        }

        /** Connections with at least one event in this segment. */
        int connections() {
            return (int) events.entrySet().stream().flatMap(entry -> entry.getValue().stream()
                    .map(event -> entry.getKey() + " " + event.connection())).distinct().count();
        }
    }
}
