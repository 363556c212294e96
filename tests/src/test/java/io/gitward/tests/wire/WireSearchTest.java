package io.gitward.tests.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The search finds every form of a needle anywhere in a view, and any token-shaped value, known or not. */
class WireSearchTest {
    /** Base64 of it differs in the two alphabets and has padding, so every form is a needle of its own. */
    private static final String SECRET = "wire-search-test-secret???>>>~~~01234";

    @Test
    void everyFormOfTheSecretIsFoundWhereverItSits() {
        Needles needles = new Needles().tokenSecret(SECRET);
        WireSearch search = new WireSearch(needles.all());
        byte[] secret = SECRET.getBytes(StandardCharsets.UTF_8);
        String urlUnpadded = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        String hex = java.util.HexFormat.of().formatHex(secret);
        assertEquals(List.of("token secret (raw)"), labels(search, SECRET + "tail"));
        assertEquals(List.of("token secret (base64url, unpadded)"), labels(search, "head" + urlUnpadded));
        assertEquals(List.of("token secret (hex)"), labels(search, "x" + hex + "y"));
        assertEquals(List.of("token secret (raw)", "token secret (raw)"), labels(search, SECRET + SECRET));
        assertEquals(List.of(), labels(search, SECRET.substring(1)));
    }

    @Test
    void tokenShapedValuesAreFoundWithoutBeingKnown() {
        WireSearch search = new WireSearch(new Needles().all());
        String token = "v3.1767323045.0123456789abcdef01234567." + "0f".repeat(32);
        List<WireSearch.Hit> hits = search.search("test", view("authorization: Bearer " + token));
        assertEquals(1, hits.size());
        assertEquals(token, hits.get(0).value());
        assertEquals(List.of(), search.search("test", view("v3.1767323045.not-a-token")));
    }

    private static List<String> labels(WireSearch search, String text) {
        return search.search("test", view(text)).stream().map(WireSearch.Hit::needle).toList();
    }

    private static WireSearch.View view(String text) {
        return new WireSearch.View("source", "c1", "raw bytes", text.getBytes(StandardCharsets.ISO_8859_1));
    }
}
