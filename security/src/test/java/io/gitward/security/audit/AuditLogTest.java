package io.gitward.security.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.testing.MutableClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AuditLogTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final AuditLog.Key CLIENT = key("spiffe://gitward.local/client/rails-1", "PUBLIC", "allow");
    private static final AuditLog.Key AUDITOR = key("spiffe://gitward.local/auditor/ops-1", "ADMIN_READ", "allow");
    private static final AuditLog.Key ANONYMOUS = key("anonymous@10.0.0.7", "PUBLIC", "would-deny");

    @TempDir
    Path dir;

    private static AuditLog.Key key(String principal, String scope, String decision) {
        return new AuditLog.Key(principal, "mtls", "none", scope, decision);
    }

    private static long total(AuditLog log) {
        return log.rows().stream().mapToLong(AuditLog.Row::count).sum();
    }

    private static Map<AuditLog.Key, AuditLog.Row> byKey(AuditLog log) {
        Map<AuditLog.Key, AuditLog.Row> rows = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        for (AuditLog.Row row : log.rows()) {
            rows.put(row.key(), row);
        }
        return rows;
    }

    @Test
    void eachKeyIsCountedWithItsLastSeenTime() {
        MutableClock clock = new MutableClock(T0);
        AuditLog log = new AuditLog(100, clock);
        log.record(CLIENT);
        clock.advance(Duration.ofMinutes(5));
        log.record(AUDITOR);
        clock.advance(Duration.ofMinutes(5));
        log.record(CLIENT);
        assertEquals(2, log.count(CLIENT));
        assertEquals(1, log.count(AUDITOR));
        assertEquals(0, log.count(ANONYMOUS));
        Map<AuditLog.Key, AuditLog.Row> rows = byKey(log);
        assertEquals(T0.plus(Duration.ofMinutes(10)).toString(), rows.get(CLIENT).lastSeen());
        assertEquals(T0.plus(Duration.ofMinutes(5)).toString(), rows.get(AUDITOR).lastSeen());
    }

    @Test
    void rowsAreSortedByPrincipalThenScope() {
        AuditLog log = new AuditLog(100, new MutableClock(T0));
        log.record(key("b", "PUBLIC", "allow"));
        log.record(key("a", "PUBLIC", "allow"));
        log.record(key("a", "ADMIN_READ", "allow"));
        assertEquals(List.of("a ADMIN_READ", "a PUBLIC", "b PUBLIC"), log.rows().stream()
                .map(row -> row.principal() + " " + row.scope()).toList());
    }

    @Test
    void keysPastTheLimitAreCountedUnderTheOverflowKey() {
        AuditLog log = new AuditLog(2, new MutableClock(T0));
        log.record(CLIENT);
        log.record(AUDITOR);
        log.record(ANONYMOUS);
        log.record(key("spiffe://gitward.local/client/rails-2", "PUBLIC", "would-deny"));
        log.record(CLIENT);
        assertEquals(0, log.count(ANONYMOUS), "a new key past the limit gets no row of its own");
        assertEquals(2, log.count(CLIENT), "known keys keep counting");
        AuditLog.Key overflow = new AuditLog.Key(AuditLog.OVERFLOW, "mtls", AuditLog.OVERFLOW, "PUBLIC", "would-deny");
        assertEquals(2, log.count(overflow), "scope, transport and decision survive in the overflow key");
        assertEquals(5, total(log), "nothing is lost");
    }

    @Test
    void theOverflowKeysAreBoundedByTheirClosedLabels() {
        AuditLog log = new AuditLog(1, new MutableClock(T0));
        log.record(CLIENT);
        for (int i = 0; i < 1000; i++) {
            log.record(key("spiffe://gitward.local/client/c" + i, "PUBLIC", "allow"));
        }
        assertEquals(2, log.rows().size(), log.rows().toString());
        assertEquals(1001, total(log));
    }

    @Test
    void aSavedAuditLoadsWithItsCountsAndLastSeenTimes() throws Exception {
        MutableClock clock = new MutableClock(T0);
        AuditLog saved = new AuditLog(100, clock);
        saved.record(CLIENT);
        saved.record(CLIENT);
        clock.advance(Duration.ofHours(1));
        saved.record(AUDITOR);
        Path file = dir.resolve("audit.json");
        saved.save(file);

        AuditLog loaded = new AuditLog(100, new MutableClock(T0.plus(Duration.ofDays(1))));
        loaded.load(file);
        assertEquals(saved.rows(), loaded.rows());
        assertTrue(Files.readString(file).contains("\"format\" : \"gitward-audit/1\""), Files.readString(file));
    }

    @Test
    void loadingAddsToCountsAlreadyRecordedAndKeepsTheLatestLastSeen() throws Exception {
        AuditLog earlier = new AuditLog(100, new MutableClock(T0));
        earlier.record(CLIENT);
        earlier.record(CLIENT);
        earlier.record(AUDITOR);
        Path file = dir.resolve("audit.json");
        earlier.save(file);

        MutableClock clock = new MutableClock(T0.plus(Duration.ofHours(2)));
        AuditLog current = new AuditLog(100, clock);
        current.record(CLIENT);
        current.load(file);
        assertEquals(3, current.count(CLIENT));
        assertEquals(1, current.count(AUDITOR));
        Map<AuditLog.Key, AuditLog.Row> rows = byKey(current);
        assertEquals(clock.instant().toString(), rows.get(CLIENT).lastSeen(), "the later of the two");
        assertEquals(T0.toString(), rows.get(AUDITOR).lastSeen());
    }

    @Test
    void anOverflowingAuditKeepsEveryCountAcrossARestart() throws Exception {
        AuditLog saved = new AuditLog(2, new MutableClock(T0));
        saved.record(CLIENT);
        saved.record(AUDITOR);
        saved.record(ANONYMOUS);
        saved.record(ANONYMOUS);
        Path file = dir.resolve("audit.json");
        saved.save(file);

        AuditLog loaded = new AuditLog(2, new MutableClock(T0));
        loaded.load(file);
        // The overflow row sorts first ('(' before letters); the rows after it must still be counted somewhere.
        assertEquals(total(saved), total(loaded), "saved " + saved.rows() + ", loaded " + loaded.rows());
    }

    @Test
    void aMissingFileLoadsNothing() throws Exception {
        AuditLog log = new AuditLog(10, new MutableClock(T0));
        log.load(dir.resolve("absent.json"));
        assertEquals(List.of(), log.rows());
    }

    static Stream<Arguments> foreignFiles() {
        return Stream.of(
                Arguments.of("a file of another format is refused", "{\"format\": \"gitward-audit/2\", \"rows\": []}",
                        "format 'gitward-audit/2' (expected gitward-audit/1)"),
                Arguments.of("a file without a format is refused", "{\"rows\": []}", "format 'null'"),
                Arguments.of("a file that is not JSON is refused", "counts: 3", ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("foreignFiles")
    void filesOfAnotherFormatAreRefusedAndLoadNothing(String name, String content, String expected) throws Exception {
        Path file = dir.resolve("audit.json");
        Files.writeString(file, content);
        AuditLog log = new AuditLog(10, new MutableClock(T0));
        IOException e = assertThrows(IOException.class, () -> log.load(file));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(List.of(), log.rows());
    }
}
