package io.gitward.security.audit;

import io.gitward.security.files.SecureFiles;
import io.gitward.security.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Who called how: a count and last-seen time per (principal, transport, credential, scope, decision), the
 * data behind "ready for the next phase". Bounded: past {@code maxKeys} distinct keys, further keys are
 * counted under one overflow key. Kept across restarts in a small JSON file. Thread-safe.
 */
public final class AuditLog {
    public static final String OVERFLOW = "(overflow)";

    /** One audit key. Decision is allow, deny or would-deny. */
    public record Key(String principal, String transport, String credential, String scope, String decision) {
    }

    /** One row of the audit: a key, how often and when last. */
    public record Row(String principal, String transport, String credential, String scope, String decision, long count,
            String lastSeen) {
        Key key() {
            return new Key(principal, transport, credential, scope, decision);
        }
    }

    /** The file format. */
    record Snapshot(String format, List<Row> rows) {
    }

    private static final String FORMAT = "gitward-audit/1";

    private static final class Counter {
        final AtomicLong count = new AtomicLong();
        final AtomicReference<Instant> lastSeen = new AtomicReference<>(Instant.EPOCH);
    }

    private final ConcurrentHashMap<Key, Counter> counters = new ConcurrentHashMap<>();
    private final int maxKeys;
    private final Clock clock;

    public AuditLog(int maxKeys, Clock clock) {
        this.maxKeys = maxKeys;
        this.clock = clock;
    }

    public void record(Key key) {
        Counter counter = counterFor(key);
        counter.count.incrementAndGet();
        counter.lastSeen.set(clock.instant());
    }

    /** The counter of {@code key}, or of its overflow key once {@code maxKeys} distinct keys exist. */
    private Counter counterFor(Key key) {
        Counter counter = counters.get(key);
        if (counter != null) {
            return counter;
        }
        Key effective = counters.size() >= maxKeys ? new Key(OVERFLOW, key.transport(), OVERFLOW, key.scope(),
                key.decision()) : key;
        return counters.computeIfAbsent(effective, k -> new Counter());
    }

    /** Rows sorted by principal, then scope. */
    public List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (Map.Entry<Key, Counter> entry : counters.entrySet()) {
            Key key = entry.getKey();
            rows.add(new Row(key.principal(), key.transport(), key.credential(), key.scope(), key.decision(),
                    entry.getValue().count.get(), entry.getValue().lastSeen.get().toString()));
        }
        rows.sort(Comparator.comparing(Row::principal).thenComparing(Row::scope).thenComparing(Row::transport)
                .thenComparing(Row::decision));
        return rows;
    }

    public long count(Key key) {
        Counter counter = counters.get(key);
        return counter == null ? 0 : counter.count.get();
    }

    /** Writes the audit atomically (temp file + rename). */
    public void save(Path file) throws IOException {
        SecureFiles.writePublic(file, Json.write(new Snapshot(FORMAT, rows())));
    }

    /** Restores counts saved by an earlier run; an unreadable file is reported, not fatal (the audit restarts). */
    public void load(Path file) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        Snapshot snapshot = Json.mapper().readValue(file.toFile(), Snapshot.class);
        if (!FORMAT.equals(snapshot.format())) {
            throw new IOException(file + ": format '" + snapshot.format() + "' (expected " + FORMAT + ")");
        }
        for (Row row : snapshot.rows()) {
            Counter counter = counterFor(row.key());
            counter.count.addAndGet(row.count());
            Instant seen = Instant.parse(row.lastSeen());
            counter.lastSeen.accumulateAndGet(seen, (a, b) -> a.isAfter(b) ? a : b);
        }
    }
}
