package io.gitward.security.authz;

import io.gitward.security.x509.Pem;
import io.gitward.security.x509.PemException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * Parses the forwarded client-certificate header a trusted edge sets: one URL-escaped PEM value (nginx's
 * {@code $ssl_client_escaped_cert}), at most {@code maxBytes}. The chain is then validated like a direct one.
 */
public final class ForwardedIdentity {
    public static final int DEFAULT_MAX_BYTES = 16 * 1024;

    private ForwardedIdentity() {
    }

    /**
     * @param values every value of the header on the call
     * @throws IllegalArgumentException saying what is wrong with the header (never echoing its content)
     */
    public static List<X509Certificate> parse(Iterable<String> values, int maxBytes) {
        String only = null;
        int count = 0;
        for (String value : values) {
            only = value;
            count++;
        }
        if (count != 1) {
            throw new IllegalArgumentException("forwarded client-certificate header has " + count
                    + " values (expected exactly one, set by the edge)");
        }
        if (only.length() > maxBytes) {
            throw new IllegalArgumentException("forwarded client-certificate header is " + only.length()
                    + " bytes (limit " + maxBytes + ")");
        }
        String pem = percentDecode(only);
        try {
            List<X509Certificate> chain = Pem.parseCertificates(pem, "forwarded client-certificate header");
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("forwarded client-certificate header holds no certificate");
            }
            return chain;
        } catch (PemException e) {
            throw new IllegalArgumentException("forwarded client-certificate header is not a PEM certificate");
        }
    }

    /** Percent-decoding only: '+' stays '+', because base64 uses it and edges differ in escaping it. */
    static String percentDecode(String value) {
        byte[] out = new byte[value.length()];
        int length = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '%') {
                if (i + 2 >= value.length()) {
                    throw new IllegalArgumentException("forwarded client-certificate header is not URL-escaped PEM");
                }
                int high = Character.digit(value.charAt(i + 1), 16);
                int low = Character.digit(value.charAt(i + 2), 16);
                if (high < 0 || low < 0) {
                    throw new IllegalArgumentException("forwarded client-certificate header is not URL-escaped PEM");
                }
                out[length++] = (byte) (high * 16 + low);
                i += 2;
            } else if (c > 0x7e) {
                throw new IllegalArgumentException("forwarded client-certificate header is not URL-escaped PEM");
            } else {
                out[length++] = (byte) c;
            }
        }
        return new String(out, 0, length, StandardCharsets.US_ASCII);
    }
}
