package io.gitward.security.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CertificateIdentitiesTest {
    private static final String ID = "spiffe://td/storage/s1";

    @Test
    void uriSanWithAgreeingSubjectIsTheIdentity() throws Exception {
        assertEquals(NodeIdentity.parseSpiffeId(ID), CertificateIdentities.identityOf(
                TestCertificates.with("O=td, OU=storage, CN=s1", List.of(ID)), IdentityMode.URI_SAN));
    }

    @Test
    void uriSanWithEmptySubjectIsTheIdentity() throws Exception {
        assertEquals(NodeIdentity.parseSpiffeId(ID), CertificateIdentities.identityOf(
                TestCertificates.with("", List.of(ID)), IdentityMode.URI_SAN));
    }

    @Test
    void subjectOnlyModeReadsTheSubject() throws Exception {
        assertEquals(NodeIdentity.parseSpiffeId(ID), CertificateIdentities.identityOf(
                TestCertificates.with("O=td, OU=storage, CN=s1", List.of()), IdentityMode.SUBJECT_ONLY));
    }

    @Test
    void nonSpiffeUriSansAreIgnored() throws Exception {
        assertEquals(NodeIdentity.parseSpiffeId(ID), CertificateIdentities.identityOf(
                TestCertificates.with("", List.of("https://example.com/x", ID)), IdentityMode.URI_SAN));
    }

    static Stream<Arguments> rejected() {
        return Stream.of(
                Arguments.of("no SPIFFE SAN in URI mode", "O=td, OU=storage, CN=s1", List.of(), IdentityMode.URI_SAN,
                        IdentityProblem.NO_SPIFFE_ID),
                Arguments.of("two SPIFFE SANs", "", List.of(ID, "spiffe://td/storage/s2"), IdentityMode.URI_SAN,
                        IdentityProblem.MULTIPLE_SPIFFE_IDS),
                Arguments.of("look-alike upper-case scheme counted as a second SAN", "", List.of(ID, "SPIFFE://td/admin/a"),
                        IdentityMode.URI_SAN, IdentityProblem.MULTIPLE_SPIFFE_IDS),
                Arguments.of("subject names another node", "O=td, OU=storage, CN=s2", List.of(ID), IdentityMode.URI_SAN,
                        IdentityProblem.SUBJECT_MISMATCH),
                Arguments.of("subject names another role", "O=td, OU=admin, CN=s1", List.of(ID), IdentityMode.URI_SAN,
                        IdentityProblem.SUBJECT_MISMATCH),
                Arguments.of("subject names another trust domain", "O=other, OU=storage, CN=s1", List.of(ID),
                        IdentityMode.URI_SAN, IdentityProblem.SUBJECT_MISMATCH),
                Arguments.of("partial subject", "CN=s1", List.of(ID), IdentityMode.URI_SAN, IdentityProblem.SUBJECT_MISMATCH),
                Arguments.of("multi-valued RDN", "O=td, OU=storage+CN=s1", List.of(ID), IdentityMode.URI_SAN,
                        IdentityProblem.MALFORMED_SUBJECT),
                Arguments.of("two CNs", "O=td, OU=storage, CN=s1, CN=s2", List.of(ID), IdentityMode.URI_SAN,
                        IdentityProblem.MALFORMED_SUBJECT),
                Arguments.of("unknown role in subject-only mode", "O=td, OU=wizard, CN=s1", List.of(),
                        IdentityMode.SUBJECT_ONLY, IdentityProblem.UNKNOWN_ROLE),
                Arguments.of("subject-only mode with a disagreeing SAN", "O=td, OU=storage, CN=s1",
                        List.of("spiffe://td/storage/s9"), IdentityMode.SUBJECT_ONLY, IdentityProblem.SUBJECT_MISMATCH),
                Arguments.of("malformed SPIFFE SAN", "", List.of("spiffe://td/storage/s1/extra"), IdentityMode.URI_SAN,
                        IdentityProblem.MALFORMED_SPIFFE_ID));
    }

    @ParameterizedTest(name = "{0}: {4}")
    @MethodSource("rejected")
    void malformedCertificateIdentitiesAreRejected(String description, String subject, List<String> sans,
            IdentityMode mode, IdentityProblem expected) throws Exception {
        InvalidIdentityException e = assertThrows(InvalidIdentityException.class,
                () -> CertificateIdentities.identityOf(TestCertificates.with(subject, sans), mode));
        assertEquals(expected, e.problem(), e.getMessage());
    }
}
