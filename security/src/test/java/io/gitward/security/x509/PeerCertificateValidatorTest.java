package io.gitward.security.x509;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.identity.IdentityMode;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.testing.TestPki;
import io.gitward.security.testing.TestPki.Issued;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Edge cases of the shared validator: the anchor's own path length, issuer structure, CRL freshness and
 * policy, bundle intermediates and anchor expiry. Each rule is checked twice: a chain that passes, and the
 * same chain with one defect, refused with its stable reason.
 */
class PeerCertificateValidatorTest {
    private static final NodeIdentity CLIENT = NodeIdentity.of("gitward.local", "client", "rails-1");
    private static final Instant NOW = Instant.now();

    /** One chain to validate: the trust bundle, what the peer presents, and how the validation runs. */
    private record Scenario(TrustBundle bundle, List<X509Certificate> presented, ValidationOptions options) {
        ValidatedPeer validate() throws CertificateRejectedException {
            return new PeerCertificateValidator(TrustMaterial.of(bundle)).validate(presented, List.of(), options);
        }
    }

    private static ValidationOptions options(boolean staleCrlIsFatal) {
        return new ValidationOptions(NOW, Purpose.TLS_CLIENT, IdentityMode.URI_SAN, staleCrlIsFatal);
    }

    private static TrustBundle bundle(Issued root, List<X509CRL> crls, RevocationPolicy policy) {
        return new TrustBundle(CLIENT.trustDomain(), List.of(root.certificate()), crls, policy);
    }

    /** root (path length {@code rootPathLength}, or none) → intermediate → leaf, revocation off. */
    private static Scenario belowIntermediate(Integer rootPathLength, TestPki.Builder intermediateShape) {
        TestPki.Builder rootShape = TestPki.certificate("CN=Test Root");
        Issued root = (rootPathLength == null ? rootShape.ca() : rootShape.ca(rootPathLength)).build();
        Issued intermediate = intermediateShape.issuedBy(root).build();
        Issued leaf = TestPki.leaf(intermediate, CLIENT);
        return new Scenario(bundle(root, List.of(), RevocationPolicy.OFF),
                List.of(leaf.certificate(), intermediate.certificate()), options(true));
    }

    /** root → a leaf of {@code shape} (the identity's profile plus whatever the shape changes), revocation off. */
    private static Scenario leafShaped(TestPki.Builder shape) {
        Issued root = TestPki.root("Test Root");
        Issued leaf = shape.issuedBy(root).build();
        return new Scenario(bundle(root, List.of(), RevocationPolicy.OFF), List.of(leaf.certificate()), options(true));
    }

    /** root → leaf, with the root's CRLs under {@code policy}. */
    private static Scenario directLeaf(RevocationPolicy policy, boolean staleCrlIsFatal, CrlShape crlShape) {
        Issued root = TestPki.root("Test Root");
        Issued leaf = TestPki.leaf(root, CLIENT);
        List<X509CRL> crls = crlShape == null ? List.of() : List.of(crlShape.make(root, leaf.certificate()));
        return new Scenario(bundle(root, crls, policy), List.of(leaf.certificate()), options(staleCrlIsFatal));
    }

    private interface CrlShape {
        X509CRL make(Issued issuer, X509Certificate leaf);
    }

    private static final CrlShape FRESH = (issuer, leaf) -> TestPki.crl(issuer, NOW.minus(Duration.ofHours(1)),
            NOW.plus(Duration.ofDays(1)), 1);
    private static final CrlShape STALE = (issuer, leaf) -> TestPki.crl(issuer, NOW.minus(Duration.ofDays(2)),
            NOW.minus(Duration.ofDays(1)), 1);
    private static final CrlShape REVOKING_THE_LEAF = (issuer, leaf) -> TestPki.crl(issuer, NOW.minus(Duration.ofHours(1)),
            NOW.plus(Duration.ofDays(1)), 2, leaf);
    private static final CrlShape ISSUED_IN_AN_HOUR = (issuer, leaf) -> TestPki.crl(issuer, NOW.plus(Duration.ofHours(1)),
            NOW.plus(Duration.ofDays(1)), 1);
    private static final CrlShape ISSUED_IN_A_MINUTE = (issuer, leaf) -> TestPki.crl(issuer, NOW.plus(Duration.ofMinutes(1)),
            NOW.plus(Duration.ofDays(1)), 1);

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("a root with path length 0 above one CA intermediate is a path length violation",
                        belowIntermediate(0, TestPki.certificate("CN=Intermediate").ca()), RejectReason.PATH_LENGTH),
                Arguments.of("an intermediate with CA:FALSE cannot issue the leaf",
                        belowIntermediate(null, TestPki.certificate("CN=Intermediate").notCa()
                                .keyUsage(TestPki.CA_KEY_USAGE)), RejectReason.ISSUER_NOT_CA),
                Arguments.of("an intermediate without basic constraints cannot issue the leaf",
                        belowIntermediate(null, TestPki.certificate("CN=Intermediate").keyUsage(TestPki.CA_KEY_USAGE)),
                        RejectReason.ISSUER_NOT_CA),
                Arguments.of("a CA intermediate whose key usage lacks keyCertSign cannot issue the leaf",
                        belowIntermediate(null, TestPki.certificate("CN=Intermediate").ca()
                                .keyUsage(KeyUsage.cRLSign | KeyUsage.digitalSignature)), RejectReason.KEY_USAGE),
                Arguments.of("a stale CRL refuses the peer when stale CRLs are fatal",
                        directLeaf(RevocationPolicy.REQUIRE, true, STALE), RejectReason.CRL_STALE),
                Arguments.of("a CRL whose this-update is an hour ahead is invalid",
                        directLeaf(RevocationPolicy.REQUIRE, true, ISSUED_IN_AN_HOUR), RejectReason.CRL_INVALID),
                Arguments.of("required revocation without a CRL from the issuer is refused",
                        directLeaf(RevocationPolicy.REQUIRE, true, null), RejectReason.CRL_MISSING),
                Arguments.of("a leaf revoked by its issuer's CRL is refused when revocation is required",
                        directLeaf(RevocationPolicy.REQUIRE, true, REVOKING_THE_LEAF), RejectReason.REVOKED),
                Arguments.of("a leaf revoked by its issuer's CRL is refused when revocation applies if present",
                        directLeaf(RevocationPolicy.IF_PRESENT, true, REVOKING_THE_LEAF), RejectReason.REVOKED),
                Arguments.of("a stale CRL refuses the peer under if-present too",
                        directLeaf(RevocationPolicy.IF_PRESENT, true, STALE), RejectReason.CRL_STALE),
                Arguments.of("required revocation needs a CRL for the intermediate's issuer and for the leaf's",
                        intermediateWithOnlyTheRootsCrl(), RejectReason.CRL_MISSING),
                Arguments.of("a leaf with basic constraints CA:TRUE is never a peer",
                        leafShaped(TestPki.certificate(CLIENT.subjectDn()).ca().identity(CLIENT)), RejectReason.LEAF_IS_CA),
                Arguments.of("a leaf past its not-after is expired",
                        leafShaped(TestPki.certificate(CLIENT.subjectDn()).identity(CLIENT)
                                .validity(NOW.minus(Duration.ofDays(2)), NOW.minus(Duration.ofDays(1)))), RejectReason.EXPIRED),
                Arguments.of("a leaf before its not-before is not yet valid",
                        leafShaped(TestPki.certificate(CLIENT.subjectDn()).identity(CLIENT)
                                .validity(NOW.plus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(2)))),
                        RejectReason.NOT_YET_VALID),
                Arguments.of("a trust anchor past its not-after expires every chain below it", expiredAnchor(),
                        RejectReason.EXPIRED),
                Arguments.of("a leaf sent without its intermediate, which the bundle does not know, has no issuer",
                        leafOnly(false), RejectReason.UNTRUSTED_ISSUER));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void refusedWithItsReason(String name, Scenario scenario, RejectReason expected) {
        CertificateRejectedException e = assertThrows(CertificateRejectedException.class, scenario::validate);
        assertEquals(expected, e.reason(), e.getMessage());
        assertTrue(e.getMessage().startsWith(expected.code() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(CLIENT.spiffeId()), "the message names the peer: " + e.getMessage());
    }

    static Stream<Arguments> accepted() {
        return Stream.of(
                Arguments.of("a root with path length 1 admits one CA intermediate",
                        belowIntermediate(1, TestPki.certificate("CN=Intermediate").ca()), 2),
                Arguments.of("a root without a path length constraint admits one CA intermediate",
                        belowIntermediate(null, TestPki.certificate("CN=Intermediate").ca()), 2),
                Arguments.of("a CA intermediate without a key usage extension may sign (any usage)",
                        belowIntermediate(null, TestPki.certificate("CN=Intermediate").ca().withoutKeyUsage()), 2),
                Arguments.of("a fresh CRL that does not list the leaf passes required revocation",
                        directLeaf(RevocationPolicy.REQUIRE, true, FRESH), 1),
                Arguments.of("a CRL issued a minute ahead is within the clock skew",
                        directLeaf(RevocationPolicy.REQUIRE, true, ISSUED_IN_A_MINUTE), 1),
                Arguments.of("if-present revocation without any CRL passes",
                        directLeaf(RevocationPolicy.IF_PRESENT, true, null), 1),
                Arguments.of("revocation off ignores a CRL that revokes the leaf",
                        directLeaf(RevocationPolicy.OFF, true, REVOKING_THE_LEAF), 1),
                Arguments.of("a leaf sent alone is completed by the bundle's intermediates", leafOnly(true), 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("accepted")
    void accepted(String name, Scenario scenario, int pathLength) throws Exception {
        ValidatedPeer peer = scenario.validate();
        assertEquals(CLIENT, peer.identity());
        assertEquals(pathLength, peer.path().size(), "leaf and intermediates, without the anchor");
        assertEquals(scenario.bundle().anchors().get(0), peer.anchor());
        assertEquals(List.of(), peer.warnings());
    }

    @Test
    void aStaleCrlOnlyWarnsWhenStaleCrlsAreNotFatal() throws Exception {
        ValidatedPeer peer = directLeaf(RevocationPolicy.REQUIRE, false, STALE).validate();
        assertEquals(CLIENT, peer.identity());
        assertEquals(1, peer.warnings().size(), peer.warnings().toString());
        assertTrue(peer.warnings().get(0).contains("is stale"), peer.warnings().toString());
    }

    @Test
    void aRevokedLeafIsRefusedEvenWhenItsCrlIsStaleButNotFatal() {
        Scenario scenario = directLeaf(RevocationPolicy.REQUIRE, false, (issuer, leaf) -> TestPki.crl(issuer,
                NOW.minus(Duration.ofDays(2)), NOW.minus(Duration.ofDays(1)), 1, leaf));
        CertificateRejectedException e = assertThrows(CertificateRejectedException.class, scenario::validate);
        assertEquals(RejectReason.REVOKED, e.reason(), e.getMessage());
    }

    @Test
    void theExpiredAnchorIsNamedInTheMessage() {
        CertificateRejectedException e = assertThrows(CertificateRejectedException.class, expiredAnchor()::validate);
        assertTrue(e.getMessage().contains("trust anchor 'CN=Expired Root'"), e.getMessage());
    }

    private static Scenario intermediateWithOnlyTheRootsCrl() {
        Issued root = TestPki.root("Test Root");
        Issued intermediate = TestPki.intermediate(root, "Intermediate");
        Issued leaf = TestPki.leaf(intermediate, CLIENT);
        return new Scenario(bundle(root, List.of(TestPki.freshCrl(root)), RevocationPolicy.REQUIRE),
                List.of(leaf.certificate(), intermediate.certificate()), options(true));
    }

    private static Scenario expiredAnchor() {
        Issued root = TestPki.certificate("CN=Expired Root").ca()
                .validity(NOW.minus(Duration.ofDays(30)), NOW.minus(Duration.ofDays(1))).build();
        Issued leaf = TestPki.leaf(root, CLIENT);
        return new Scenario(bundle(root, List.of(), RevocationPolicy.OFF), List.of(leaf.certificate()), options(true));
    }

    /** root → intermediate → leaf; the peer sends only its leaf (as an edge forwards it). */
    private static Scenario leafOnly(boolean bundleKnowsTheIntermediate) {
        Issued root = TestPki.root("Test Root");
        Issued intermediate = TestPki.intermediate(root, "Intermediate");
        Issued leaf = TestPki.leaf(intermediate, CLIENT);
        List<X509Certificate> intermediates = bundleKnowsTheIntermediate ? List.of(intermediate.certificate()) : List.of();
        TrustBundle bundle = new TrustBundle(CLIENT.trustDomain(), List.of(root.certificate()), intermediates, List.of(),
                RevocationPolicy.OFF);
        return new Scenario(bundle, List.of(leaf.certificate()), options(true));
    }
}
