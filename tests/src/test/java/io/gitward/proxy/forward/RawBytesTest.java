package io.gitward.proxy.forward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.grpc.KnownLength;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The proxy passes a message on as the bytes that arrived, however the stream reports its length. */
class RawBytesTest {
    private static final byte[] MESSAGE = "a message the proxy never parses".getBytes(StandardCharsets.UTF_8);

    /** Like gRPC's message streams, it says it knows its length (here: {@code claimed}), and hands it out in pieces. */
    private static final class Sized extends InputStream implements KnownLength {
        private final byte[] bytes;
        private final int claimed;
        private int at;

        Sized(byte[] bytes, int claimed) {
            this.bytes = bytes;
            this.claimed = claimed;
        }

        @Override
        public int read() {
            return at < bytes.length ? bytes[at++] & 0xff : -1;
        }

        @Override
        public int read(byte[] into, int offset, int length) {
            if (at >= bytes.length) {
                return -1;
            }
            int n = Math.min(Math.min(length, 5), bytes.length - at);
            System.arraycopy(bytes, at, into, offset, n);
            at += n;
            return n;
        }

        @Override
        public int available() {
            return Math.max(0, claimed - at);
        }
    }

    @Test
    void aStreamOfKnownLengthGivesItsBytes() {
        assertArrayEquals(MESSAGE, RawBytes.INSTANCE.parse(new Sized(MESSAGE, MESSAGE.length)));
    }

    @Test
    void aStreamThatClaimsLessThanItHoldsGivesEverything() {
        assertArrayEquals(MESSAGE, RawBytes.INSTANCE.parse(new Sized(MESSAGE, 4)));
    }

    @Test
    void aStreamThatClaimsMoreThanItHoldsGivesWhatItHas() {
        assertArrayEquals(MESSAGE, RawBytes.INSTANCE.parse(new Sized(MESSAGE, MESSAGE.length + 10)));
    }

    @Test
    void aStreamOfUnknownLengthGivesItsBytes() {
        assertArrayEquals(MESSAGE, RawBytes.INSTANCE.parse(new ByteArrayInputStream(MESSAGE)));
    }

    @Test
    void anEmptyMessageStaysEmpty() {
        assertArrayEquals(new byte[0], RawBytes.INSTANCE.parse(new Sized(new byte[0], 0)));
    }
}
