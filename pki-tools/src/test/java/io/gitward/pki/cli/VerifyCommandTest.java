package io.gitward.pki.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.x509.Certificates;
import io.gitward.security.x509.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code pki verify} runs the nodes' own validation ({@code PeerCertificateValidator}); exit 0 valid, 1 invalid. */
class VerifyCommandTest {
    private static final String STORAGE_1 = "spiffe://cell-1.gitward/storage/storage-1";

    @TempDir
    Path tmp;

    TestCa ca;

    @BeforeEach
    void createCaWithOneNode() {
        ca = TestCa.init(tmp.resolve("pki"));
        ca.issue("storage", "storage-1", "--ttl", "24h");
    }

    @Test
    void aValidCertificateExitsZeroAndPrintsItsIdentity() throws Exception {
        X509Certificate leaf = ca.certificate("storage", "storage-1");
        String expected = "valid: " + STORAGE_1 + " (serial " + Certificates.serialHex(leaf) + ", expires "
                + leaf.getNotAfter().toInstant() + ", issued by '" + leaf.getIssuerX500Principal().getName() + "')";

        CliRunner.Result withDir = ca.ok("verify", "--role", "storage", ca.cert("storage", "storage-1").toString());
        assertEquals(List.of(expected), withDir.outLines());
        assertEquals("", withDir.err());

        CliRunner.Result withBundle = CliRunner.ok("verify", "--ca", ca.roots().toString(), "--crl", ca.crl().toString(),
                ca.chain("storage", "storage-1").toString());
        assertEquals(List.of(expected), withBundle.outLines());
    }

    /** Prepares a situation and returns the {@code pki verify} arguments that must be refused. */
    @FunctionalInterface
    interface Scenario {
        List<String> prepare(TestCa ca, Path tmp) throws Exception;
    }

    static Stream<Arguments> rejections() {
        return Stream.of(
                rejection("a certificate from another CA of the same trust domain has an untrusted issuer", "untrusted_issuer",
                    (ca, tmp) -> {
                        TestCa other = TestCa.init(tmp.resolve("other"));
                        other.issue("storage", "storage-1");
                        return verify(ca, other.chain("storage", "storage-1"));
                    }),
                rejection("a certificate of another trust domain is foreign", "foreign_trust_domain", (ca, tmp) -> {
                    CliRunner.ok("init", "--dir", tmp.resolve("cell-2").toString(), "--trust-domain", "cell-2.gitward");
                    TestCa other = new TestCa(tmp.resolve("cell-2"));
                    other.issue("storage", "storage-1");
                    return verify(ca, other.chain("storage", "storage-1"));
                }),
                rejection("after its not-after the certificate has expired", "expired", (ca, tmp) ->
                        verify(ca, ca.cert("storage", "storage-1"), "--at", at(Duration.ofDays(2)))),
                rejection("before its not-before the certificate is not yet valid", "not_yet_valid", (ca, tmp) ->
                        verify(ca, ca.cert("storage", "storage-1"), "--at", at(Duration.ofDays(-1)))),
                rejection("a node of another role than --role asks for has the wrong role", "wrong_role", (ca, tmp) ->
                        verify(ca, ca.cert("storage", "storage-1"), "--role", "proxy")),
                rejection("a CRL past its next-update is stale", "crl_stale", (ca, tmp) -> {
                    ca.ok("crl", "--next-update", "1s");
                    return verify(ca, ca.cert("storage", "storage-1"), "--at", at(Duration.ofHours(1)));
                }),
                rejection("a revoked certificate is revoked", "revoked", (ca, tmp) -> {
                    ca.ok("revoke", "--role", "storage", "--name", "storage-1");
                    return verify(ca, ca.cert("storage", "storage-1"));
                }),
                rejection("a CA certificate carries no node identity", "no_spiffe_id", (ca, tmp) ->
                        verify(ca, ca.caFile("root-cert.pem"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejections")
    void invalidCertificatesExitOneWithTheReason(String description, String reason, Scenario scenario) throws Exception {
        CliRunner.Result result = CliRunner.run(scenario.prepare(ca, tmp)).assertExit(1);
        assertTrue(result.outLines().size() <= 2, result::describe);
        assertTrue(result.out().startsWith("invalid: " + reason + ": "), result::describe);
        assertTrue(result.outLines().size() == 1 || result.outLines().get(1).startsWith("fix: "), result::describe);
        assertEquals("", result.err(), result::describe);
    }

    @Test
    void aStaleCrlIsOnlyAWarningWithAllowStaleCrl() {
        ca.ok("crl", "--next-update", "1s");
        CliRunner.Result result = ca.ok("verify", "--allow-stale-crl", "--at", at(Duration.ofHours(1)),
                ca.cert("storage", "storage-1").toString());
        List<String> lines = result.outLines();
        assertEquals(2, lines.size(), result::describe);
        assertTrue(lines.get(0).startsWith("warning: CRL of '") && lines.get(0).contains("is stale (next update was "),
                result::describe);
        assertTrue(lines.get(1).startsWith("valid: " + STORAGE_1 + " "), result::describe);
    }

    @Test
    void withACaBundleRevocationIsCheckedOnlyWhenACrlIsGiven() {
        ca.ok("revoke", "--role", "storage", "--name", "storage-1");
        String cert = ca.cert("storage", "storage-1").toString();

        CliRunner.Result unchecked = CliRunner.ok("verify", "--ca", ca.roots().toString(), cert);
        assertEquals("note: no --crl given, revocation is not checked", unchecked.outLines().get(0), unchecked::describe);
        assertTrue(unchecked.outLines().get(1).startsWith("valid: " + STORAGE_1 + " "), unchecked::describe);

        CliRunner.Result checked = CliRunner.run("verify", "--ca", ca.roots().toString(), "--crl", ca.crl().toString(), cert)
                .assertExit(1);
        assertTrue(checked.out().startsWith("invalid: revoked: " + STORAGE_1 + " "), checked::describe);
    }

    @Test
    void untrustedIntermediatesMayComeFromAFileOfSeveralCertificates() throws Exception {
        TestCa issuing = TestCa.init(tmp.resolve("with-intermediate"), "--intermediate");
        issuing.issue("proxy", "proxy-1");
        TestCa unrelated = TestCa.init(tmp.resolve("unrelated"), "--intermediate");
        Path leafOnly = issuing.cert("proxy", "proxy-1");
        assertEquals(1, Pem.readCertificatesRequired(leafOnly).size());

        Path bundle = tmp.resolve("untrusted.pem");
        Files.writeString(bundle, Files.readString(unrelated.caFile("intermediate-cert.pem"))
                + Files.readString(issuing.caFile("intermediate-cert.pem")) + Files.readString(unrelated.roots()));
        assertEquals(3, Pem.readCertificatesRequired(bundle).size());

        CliRunner.Result alone = CliRunner.run("verify", "--ca", issuing.roots().toString(), "--crl", issuing.crl().toString(),
                leafOnly.toString()).assertExit(1);
        assertTrue(alone.out().startsWith("invalid: untrusted_issuer: "), alone::describe);

        CliRunner.Result withBundle = CliRunner.ok("verify", "--ca", issuing.roots().toString(), "--crl",
                issuing.crl().toString(), "--untrusted", bundle.toString(), leafOnly.toString());
        assertTrue(withBundle.out().startsWith("valid: spiffe://cell-1.gitward/proxy/proxy-1 "), withBundle::describe);

        CliRunner.Result withDir = issuing.ok("verify", "--untrusted", bundle.toString(), leafOnly.toString());
        assertTrue(withDir.out().startsWith("valid: spiffe://cell-1.gitward/proxy/proxy-1 "), withDir::describe);
    }

    private static Arguments rejection(String description, String reason, Scenario scenario) {
        return Arguments.of(description, reason, scenario);
    }

    private static List<String> verify(TestCa ca, Path certificate, String... options) {
        List<String> args = new ArrayList<>(List.of("verify", "--dir", ca.dir().toString()));
        args.addAll(List.of(options));
        args.add(certificate.toString());
        return args;
    }

    private static String at(Duration fromNow) {
        return Instant.now().plus(fromNow).truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
