package io.gitward.security.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RateLimitedLogTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final Duration PERIOD = Duration.ofSeconds(60);

    static Stream<Arguments> timelines() {
        return Stream.of(
                Arguments.of("the first message of a key is logged", List.of(0L), List.of(true)),
                Arguments.of("a repeat within the period is dropped", List.of(0L, 1L, 59L), List.of(true, false, false)),
                Arguments.of("a repeat exactly one period later is logged", List.of(0L, 60L), List.of(true, true)),
                Arguments.of("the period restarts at the last logged message, not the last dropped one",
                        List.of(0L, 50L, 60L, 100L, 120L), List.of(true, false, true, false, true)),
                Arguments.of("a clock that steps back does not log again", List.of(100L, 40L), List.of(true, false)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("timelines")
    void oncePerPeriodPerKey(String name, List<Long> seconds, List<Boolean> logged) {
        MutableClock clock = new MutableClock(T0);
        RateLimitedLog log = new RateLimitedLog(PERIOD, 100, clock);
        for (int i = 0; i < seconds.size(); i++) {
            clock.set(T0.plusSeconds(seconds.get(i)));
            assertEquals(logged.get(i), log.shouldLog("caller|method"), "at second " + seconds.get(i));
        }
    }

    @Test
    void keysAreLimitedIndependently() {
        RateLimitedLog log = new RateLimitedLog(PERIOD, 100, new MutableClock(T0));
        assertTrue(log.shouldLog("a"));
        assertTrue(log.shouldLog("b"));
        assertFalse(log.shouldLog("a"));
        assertFalse(log.shouldLog("b"));
    }

    @Test
    void pastTheLimitTheLeastRecentlyUsedKeyIsForgotten() {
        RateLimitedLog log = new RateLimitedLog(PERIOD, 2, new MutableClock(T0));
        assertTrue(log.shouldLog("a"));
        assertTrue(log.shouldLog("b"));
        assertFalse(log.shouldLog("a"), "touching a makes b the eldest");
        assertTrue(log.shouldLog("c"), "b is forgotten");
        assertFalse(log.shouldLog("a"), "a is still remembered");
        assertTrue(log.shouldLog("b"), "b was forgotten, so it logs again");
    }

    @Test
    void manyKeysStayBounded() {
        RateLimitedLog log = new RateLimitedLog(PERIOD, 10, new MutableClock(T0));
        for (int i = 0; i < 10_000; i++) {
            assertTrue(log.shouldLog("key-" + i));
        }
        assertTrue(log.shouldLog("key-0"), "the first key was forgotten long ago");
        assertFalse(log.shouldLog("key-9999"), "the last key is remembered");
    }
}
