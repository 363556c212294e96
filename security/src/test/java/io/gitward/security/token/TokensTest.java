package io.gitward.security.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.testing.MutableClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TokensTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final Duration SKEW = Duration.ofSeconds(30);
    private static final String SECRET = "current-secret-0123456789";
    private static final String PREVIOUS = "previous-secret-0123456789";

    private static Tokens tokens(Clock clock, String... secrets) {
        return new Tokens(TokenSecret.of(secrets), SKEW, clock, 1000);
    }

    private static Tokens at(Instant instant, String... secrets) {
        return tokens(Clock.fixed(instant, ZoneOffset.UTC), secrets);
    }

    @Test
    void anIssuedTokenHasTheV3ShapeAndVerifiesOnce() {
        Tokens tokens = at(T0, SECRET);
        String token = tokens.issue();
        assertTrue(token.matches("v3\\." + T0.getEpochSecond() + "\\.[0-9a-f]{24}\\.[0-9a-f]{64}"), token);
        assertEquals(TokenVerdict.VALID, tokens.verify(token));
        assertEquals(TokenVerdict.REPLAYED, tokens.verify(token));
        assertEquals(TokenVerdict.REPLAYED, tokens.verify(token), "a replay stays a replay");
    }

    @Test
    void twoIssuedTokensDifferAndBothVerify() {
        Tokens tokens = at(T0, SECRET);
        String first = tokens.issue();
        String second = tokens.issue();
        assertTrue(!first.equals(second), "each token has its own nonce");
        assertEquals(TokenVerdict.VALID, tokens.verify(first));
        assertEquals(TokenVerdict.VALID, tokens.verify(second));
    }

    static Stream<Arguments> tampered() {
        return Stream.of(
                Arguments.of("a token signed with another secret is wrong",
                        (UnaryOperator<String>) token -> at(T0, "another-secret-0123456789").issue(), TokenVerdict.WRONG),
                Arguments.of("a flipped signature digit is wrong",
                        (UnaryOperator<String>) token -> flipLast(token), TokenVerdict.WRONG),
                Arguments.of("a signature one digit short is malformed",
                        (UnaryOperator<String>) token -> token.substring(0, token.length() - 1), TokenVerdict.MALFORMED),
                Arguments.of("a truncated signature is wrong",
                        (UnaryOperator<String>) token -> token.substring(0, token.length() - 2), TokenVerdict.WRONG),
                Arguments.of("an empty signature is wrong",
                        (UnaryOperator<String>) token -> token.substring(0, token.lastIndexOf('.') + 1), TokenVerdict.WRONG),
                Arguments.of("a signature with a non-hex character is malformed",
                        (UnaryOperator<String>) token -> token.substring(0, token.length() - 1) + "x", TokenVerdict.MALFORMED),
                Arguments.of("a changed nonce is wrong",
                        (UnaryOperator<String>) token -> part(token, 2, flipLast(part(token, 2))), TokenVerdict.WRONG),
                Arguments.of("a nonce with an upper-case digit is malformed",
                        (UnaryOperator<String>) token -> part(token, 2, "ABCDEF" + part(token, 2).substring(6)),
                        TokenVerdict.MALFORMED),
                Arguments.of("a shortened nonce is malformed",
                        (UnaryOperator<String>) token -> part(token, 2, part(token, 2).substring(1)), TokenVerdict.MALFORMED),
                Arguments.of("a timestamp moved by one second is wrong",
                        (UnaryOperator<String>) token -> part(token, 1, String.valueOf(T0.getEpochSecond() - 1)),
                        TokenVerdict.WRONG),
                Arguments.of("a negative timestamp is malformed",
                        (UnaryOperator<String>) token -> part(token, 1, "-" + T0.getEpochSecond()), TokenVerdict.MALFORMED),
                Arguments.of("another version prefix is malformed",
                        (UnaryOperator<String>) token -> "v2." + token.substring(3), TokenVerdict.MALFORMED),
                Arguments.of("a token without its signature part is malformed",
                        (UnaryOperator<String>) token -> token.substring(0, token.lastIndexOf('.')), TokenVerdict.MALFORMED),
                Arguments.of("an extra part is malformed",
                        (UnaryOperator<String>) token -> part(token, 2, part(token, 2) + ".00"), TokenVerdict.MALFORMED),
                Arguments.of("an over-long token is malformed",
                        (UnaryOperator<String>) token -> token + "0".repeat(200), TokenVerdict.MALFORMED),
                Arguments.of("an empty token is absent", (UnaryOperator<String>) token -> "", TokenVerdict.ABSENT),
                Arguments.of("a null token is absent", (UnaryOperator<String>) token -> null, TokenVerdict.ABSENT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tampered")
    void tamperedTokensAreRefused(String name, UnaryOperator<String> tamper, TokenVerdict expected) {
        Tokens tokens = at(T0, SECRET);
        String genuine = tokens.issue();
        assertEquals(expected, tokens.verify(tamper.apply(genuine)));
        assertEquals(TokenVerdict.VALID, tokens.verify(genuine), "a refused variant does not consume the genuine token");
    }

    static Stream<Arguments> clockDistance() {
        return Stream.of(
                Arguments.of("a token from the same second is valid", 0L, TokenVerdict.VALID),
                Arguments.of("a token exactly the skew old is valid", 30L, TokenVerdict.VALID),
                Arguments.of("a token one second older than the skew is expired", 31L, TokenVerdict.EXPIRED),
                Arguments.of("an hour-old token is expired", 3600L, TokenVerdict.EXPIRED),
                Arguments.of("a token exactly the skew in the future is valid", -30L, TokenVerdict.VALID),
                Arguments.of("a token one second further in the future than the skew is expired", -31L, TokenVerdict.EXPIRED),
                Arguments.of("a token from an hour in the future is expired", -3600L, TokenVerdict.EXPIRED));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clockDistance")
    void tokensAreValidOnlyWithinTheSkewOfTheReceiversClock(String name, long receiverAheadSeconds, TokenVerdict expected) {
        String token = at(T0, SECRET).issue();
        assertEquals(expected, at(T0.plusSeconds(receiverAheadSeconds), SECRET).verify(token));
    }

    @Test
    void duringARotationTokensOfBothSecretsAreAcceptedAndNewOnesUseTheFirst() {
        Tokens receiver = at(T0, SECRET, PREVIOUS);
        assertEquals(TokenVerdict.VALID, receiver.verify(at(T0, PREVIOUS).issue()), "a caller still on the old secret");
        assertEquals(TokenVerdict.VALID, receiver.verify(at(T0, SECRET).issue()), "a caller already on the new secret");
        assertEquals(TokenVerdict.WRONG, receiver.verify(at(T0, "third-secret-0123456789").issue()));

        String issued = receiver.issue();
        assertEquals(TokenVerdict.VALID, at(T0, SECRET).verify(issued), "signed with the first (current) secret");
        assertEquals(TokenVerdict.WRONG, at(T0, PREVIOUS).verify(issued), "not with the previous one");
    }

    @Test
    void aFullReplayCacheRefusesNewTokensButStillRecognisesReplays() {
        MutableClock clock = new MutableClock(T0);
        Tokens receiver = new Tokens(TokenSecret.of(SECRET), SKEW, clock, 2);
        Tokens issuer = tokens(clock, SECRET);
        String first = issuer.issue();
        assertEquals(TokenVerdict.VALID, receiver.verify(first));
        assertEquals(TokenVerdict.VALID, receiver.verify(issuer.issue()));
        assertEquals(TokenVerdict.REPLAY_CACHE_FULL, receiver.verify(issuer.issue()));
        assertEquals(TokenVerdict.REPLAYED, receiver.verify(first), "a full cache never lets a replay through");
    }

    @Test
    void noncesAreForgottenAfterTheSkewWindowSoCapacityFreesUp() {
        MutableClock clock = new MutableClock(T0);
        Tokens receiver = new Tokens(TokenSecret.of(SECRET), SKEW, clock, 2);
        Tokens issuer = tokens(clock, SECRET);
        String first = issuer.issue();
        assertEquals(TokenVerdict.VALID, receiver.verify(first));
        assertEquals(TokenVerdict.VALID, receiver.verify(issuer.issue()));

        clock.advance(SKEW);
        assertEquals(TokenVerdict.REPLAY_CACHE_FULL, receiver.verify(issuer.issue()), "still inside the window");
        assertEquals(TokenVerdict.REPLAYED, receiver.verify(first), "a nonce is remembered as long as its token is valid");

        clock.advance(Duration.ofSeconds(1));
        assertEquals(TokenVerdict.VALID, receiver.verify(issuer.issue()));
        assertEquals(TokenVerdict.VALID, receiver.verify(issuer.issue()));
        assertEquals(TokenVerdict.REPLAY_CACHE_FULL, receiver.verify(issuer.issue()));
        assertEquals(TokenVerdict.EXPIRED, receiver.verify(first), "a forgotten nonce belongs to an expired token");
    }

    @Test
    void anExpiredNonceFreesItsSlotEvenWhenANonceRememberedBeforeItLivesLonger() {
        MutableClock clock = new MutableClock(T0);
        Tokens receiver = new Tokens(TokenSecret.of(SECRET), SKEW, clock, 2);
        // A caller whose clock is the whole skew ahead, then one the whole skew behind: both valid now.
        assertEquals(TokenVerdict.VALID, receiver.verify(at(T0.plus(SKEW), SECRET).issue()));
        assertEquals(TokenVerdict.VALID, receiver.verify(at(T0.minus(SKEW), SECRET).issue()));

        clock.advance(Duration.ofSeconds(1));
        // The second token expired a second ago; its nonce no longer needs remembering.
        assertEquals(TokenVerdict.VALID, receiver.verify(at(clock.instant(), SECRET).issue()));
    }

    private static String flipLast(String value) {
        char last = value.charAt(value.length() - 1);
        return value.substring(0, value.length() - 1) + (last == '0' ? '1' : '0');
    }

    /** Replaces the dot-separated part {@code index} (0 = "v3") of a token. */
    private static String part(String token, int index, String replacement) {
        String[] parts = token.split("\\.", -1);
        parts[index] = replacement;
        return String.join(".", parts);
    }

    private static String part(String token, int index) {
        return token.split("\\.", -1)[index];
    }
}
