package io.gitward.security.authz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.testing.TestPki;
import io.gitward.security.x509.Pem;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The forwarded client-certificate header: one URL-escaped PEM value, bounded, never echoed in an error. */
class ForwardedIdentityTest {
    private static final NodeIdentity CLIENT = NodeIdentity.of("gitward.local", "client", "rails-1");
    private static final TestPki.Issued ROOT = TestPki.root("Forwarding Root");
    /** A leaf whose PEM has a '+' in its base64, so escaping of '+' matters. */
    private static final X509Certificate LEAF = leafWithPlusInItsPem();
    private static final String PEM = Pem.encodeCertificates(List.of(LEAF));
    /** Planted in bad headers: an error message must never contain it. */
    private static final String MARKER = "Zm9yd2FyZGVkLXNlY3JldA";

    private static X509Certificate leafWithPlusInItsPem() {
        for (int attempt = 0; attempt < 100; attempt++) {
            X509Certificate leaf = TestPki.leaf(ROOT, CLIENT).certificate();
            if (Pem.encodeCertificates(List.of(leaf)).contains("+")) {
                return leaf;
            }
        }
        throw new IllegalStateException("no certificate with '+' in its base64 after 100 attempts");
    }

    /** Escapes like nginx's $ssl_client_escaped_cert: everything but unreserved characters and '+'. */
    private static String escape(String text, boolean escapePlus) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.US_ASCII)) {
            char c = (char) b;
            boolean unreserved = Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.' || c == '~'
                    || (c == '+' && !escapePlus);
            out.append(unreserved ? String.valueOf(c) : String.format("%%%02X", b));
        }
        return out.toString();
    }

    @Test
    void anEscapedPemWithARawPlusIsTheCertificate() {
        String header = escape(PEM, false);
        assertTrue(header.contains("+") && header.contains("%0A"), "the fixture escapes newlines, keeps '+'");
        assertEquals(List.of(LEAF), ForwardedIdentity.parse(List.of(header), ForwardedIdentity.DEFAULT_MAX_BYTES));
    }

    @Test
    void anEscapedPemWithAnEscapedPlusIsTheSameCertificate() {
        String header = escape(PEM, true);
        assertTrue(header.contains("%2B") && !header.contains("+"), header);
        assertEquals(List.of(LEAF), ForwardedIdentity.parse(List.of(header), ForwardedIdentity.DEFAULT_MAX_BYTES));
    }

    @Test
    void percentDecodingLeavesPlusAlone() {
        assertEquals("a+b c", ForwardedIdentity.percentDecode("a+b%20c"));
    }

    @Test
    void aChainIsReturnedLeafFirst() {
        TestPki.Issued intermediate = TestPki.intermediate(ROOT, "Forwarding Intermediate");
        X509Certificate leaf = TestPki.leaf(intermediate, CLIENT).certificate();
        String header = escape(Pem.encodeCertificates(List.of(leaf, intermediate.certificate())), false);
        assertEquals(List.of(leaf, intermediate.certificate()), ForwardedIdentity.parse(List.of(header), 16 * 1024));
    }

    @Test
    void aHeaderOfExactlyTheLimitIsRead() {
        String header = escape(PEM, false);
        assertEquals(List.of(LEAF), ForwardedIdentity.parse(List.of(header), header.length()));
    }

    static Stream<Arguments> refused() {
        String escaped = escape(PEM, false);
        String privateKey = Pem.encode("PRIVATE KEY", TestPki.ecKeyPair().getPrivate().getEncoded());
        String brokenKey = "-----BEGIN PRIVATE KEY-----\n" + MARKER + "AAAA\n-----END PRIVATE KEY-----\n";
        return Stream.of(
                Arguments.of("no value is refused", List.of(), Integer.MAX_VALUE, "has 0 values"),
                Arguments.of("two values are refused", List.of(escaped, escaped + MARKER), Integer.MAX_VALUE,
                        "has 2 values"),
                Arguments.of("a value one byte over the limit is refused", List.of(escaped),
                        escaped.length() - 1, "bytes (limit " + (escaped.length() - 1) + ")"),
                Arguments.of("a value over the default 16 KiB is refused", List.of(MARKER.repeat(1000)),
                        ForwardedIdentity.DEFAULT_MAX_BYTES, "(limit 16384)"),
                Arguments.of("text that holds no PEM is refused", List.of("not-a-certificate-" + MARKER), 16384,
                        "holds no certificate"),
                Arguments.of("a private key instead of a certificate is refused", List.of(escape(privateKey, false)),
                        16384, "holds no certificate"),
                Arguments.of("a damaged private key block is refused", List.of(escape(brokenKey, false)), 16384,
                        "is not a PEM certificate"),
                Arguments.of("a certificate block with broken base64 is refused",
                        List.of(escape("-----BEGIN CERTIFICATE-----\n" + MARKER + "!!\n-----END CERTIFICATE-----\n", false)),
                        16384, "is not a PEM certificate"),
                Arguments.of("a certificate block with valid base64 but no certificate is refused",
                        List.of(escape("-----BEGIN CERTIFICATE-----\n" + MARKER + "==\n-----END CERTIFICATE-----\n", false)),
                        16384, "is not a PEM certificate"),
                Arguments.of("a truncated escape is refused", List.of(escaped.substring(0, 40) + MARKER + "%2"), 16384,
                        "is not URL-escaped PEM"),
                Arguments.of("an escape with non-hex digits is refused", List.of(MARKER + "%zz" + escaped), 16384,
                        "is not URL-escaped PEM"),
                Arguments.of("a non-ASCII character is refused", List.of(MARKER + "\u00e9" + escaped), 16384,
                        "is not URL-escaped PEM"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void refusedHeadersAreDescribedNeverEchoed(String name, List<String> values, int maxBytes, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ForwardedIdentity.parse(values, maxBytes));
        assertTrue(e.getMessage().startsWith("forwarded client-certificate header"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains(MARKER), "the message echoes the header: " + e.getMessage());
        assertFalse(e.getMessage().contains("MI"), "the message echoes base64 DER: " + e.getMessage());
    }
}
