package io.gitward.security.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class NodeIdentityTest {
    @ParameterizedTest(name = "{0} is accepted")
    @ValueSource(strings = {"spiffe://cell-1.gitward/storage/storage-1", "spiffe://td/client/rails",
        "spiffe://a_b.c-d/proxy/p", "spiffe://td/edge/nginx-0", "spiffe://td/auditor/x", "spiffe://td/admin/ops-1",
        "spiffe://td/coordinator/c1"})
    void wellFormedIdsParseAndRoundTrip(String uri) throws Exception {
        assertEquals(uri, NodeIdentity.parseSpiffeId(uri).spiffeId());
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("wrong scheme", "https://td/storage/s1", IdentityProblem.MALFORMED_SPIFFE_ID),
                Arguments.of("upper-case scheme", "SPIFFE://td/storage/s1", IdentityProblem.MALFORMED_SPIFFE_ID),
                Arguments.of("upper-case trust domain", "spiffe://TD/storage/s1", IdentityProblem.INVALID_TRUST_DOMAIN),
                Arguments.of("port", "spiffe://td:443/storage/s1", IdentityProblem.MALFORMED_SPIFFE_ID),
                Arguments.of("user-info", "spiffe://u@td/storage/s1", IdentityProblem.MALFORMED_SPIFFE_ID),
                Arguments.of("percent-encoding", "spiffe://td/storage/s%31", IdentityProblem.MALFORMED_SPIFFE_ID),
                Arguments.of("query", "spiffe://td/storage/s1?x=1", IdentityProblem.MALFORMED_SPIFFE_ID),
                Arguments.of("fragment", "spiffe://td/storage/s1#x", IdentityProblem.MALFORMED_SPIFFE_ID),
                Arguments.of("dot segment", "spiffe://td/./storage", IdentityProblem.MALFORMED_SPIFFE_ID),
                Arguments.of("dot-dot segment", "spiffe://td/storage/..", IdentityProblem.MALFORMED_SPIFFE_ID),
                Arguments.of("empty segment", "spiffe://td//s1", IdentityProblem.MALFORMED_SPIFFE_ID),
                Arguments.of("trailing slash", "spiffe://td/storage/s1/", IdentityProblem.MALFORMED_SPIFFE_ID),
                Arguments.of("extra segment", "spiffe://td/storage/s1/x", IdentityProblem.MALFORMED_SPIFFE_ID),
                Arguments.of("one segment", "spiffe://td/storage", IdentityProblem.MALFORMED_SPIFFE_ID),
                Arguments.of("no path", "spiffe://td", IdentityProblem.MALFORMED_SPIFFE_ID),
                Arguments.of("empty trust domain", "spiffe:///storage/s1", IdentityProblem.INVALID_TRUST_DOMAIN),
                Arguments.of("NUL", "spiffe://td/storage/s\u00001", IdentityProblem.MALFORMED_SPIFFE_ID),
                Arguments.of("newline", "spiffe://td/storage/s1\n", IdentityProblem.MALFORMED_SPIFFE_ID),
                Arguments.of("unknown role", "spiffe://td/wizard/s1", IdentityProblem.UNKNOWN_ROLE),
                Arguments.of("upper-case role", "spiffe://td/Storage/s1", IdentityProblem.UNKNOWN_ROLE),
                Arguments.of("upper-case name", "spiffe://td/storage/S1", IdentityProblem.INVALID_NAME),
                Arguments.of("underscore in name", "spiffe://td/storage/s_1", IdentityProblem.INVALID_NAME),
                Arguments.of("dot in name", "spiffe://td/storage/s.1", IdentityProblem.INVALID_NAME),
                Arguments.of("64-character name", "spiffe://td/storage/" + "a".repeat(64), IdentityProblem.INVALID_NAME),
                Arguments.of("unicode look-alike name", "spiffe://td/storage/st\u043Erage", IdentityProblem.INVALID_NAME),
                Arguments.of("empty labels in trust domain", "spiffe://a..b/storage/s1", IdentityProblem.INVALID_TRUST_DOMAIN));
    }

    @ParameterizedTest(name = "{0} is rejected as {2}")
    @MethodSource("malformed")
    void malformedIdsAreRejectedNeverNormalized(String description, String uri, IdentityProblem expected) {
        InvalidIdentityException e = assertThrows(InvalidIdentityException.class, () -> NodeIdentity.parseSpiffeId(uri));
        assertEquals(expected, e.problem(), e.getMessage());
    }

    @ParameterizedTest(name = "name {0} is accepted")
    @ValueSource(strings = {"a", "storage-1", "0", "a-b-c"})
    void namesInTheGrammar(String name) {
        assertEquals(null, NodeIdentity.nameProblem(name));
    }

    @ParameterizedTest(name = "subject of {0}")
    @ValueSource(strings = {"spiffe://cell-1/storage/storage-1"})
    void subjectMirrorsTheId(String uri) throws Exception {
        assertEquals("CN=storage-1,OU=storage,O=cell-1", NodeIdentity.parseSpiffeId(uri).subjectDn());
    }
}
