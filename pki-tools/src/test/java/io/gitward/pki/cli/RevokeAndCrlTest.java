package io.gitward.pki.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitward.security.x509.Certificates;
import io.gitward.security.x509.TrustBundle;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CRLReason;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RevokeAndCrlTest {
    @TempDir
    Path tmp;

    TestCa ca;

    @BeforeEach
    void createCa() {
        ca = TestCa.init(tmp.resolve("pki"), "--intermediate");
    }

    @Test
    void revokingAnIdentityRevokesEveryValidCertificateItHolds() throws Exception {
        String issued = ca.issue("storage", "storage-1").get("serial").asText();
        String renewed = ca.ok("renew", "--role", "storage", "--name", "storage-1", "--json").json().get("serial").asText();
        String bystander = ca.issue("storage", "storage-2").get("serial").asText();

        CliRunner.Result result = ca.ok("revoke", "--role", "storage", "--name", "storage-1", "--reason", "key-compromise");
        List<String> lines = result.outLines();
        assertEquals(3, lines.size(), result::describe);
        assertTrue(lines.get(0).startsWith("revoked serial " + issued + " (spiffe://cell-1.gitward/storage/storage-1) at "),
                result::describe);
        assertTrue(lines.get(1).startsWith("revoked serial " + renewed + " (spiffe://cell-1.gitward/storage/storage-1) at "),
                result::describe);
        assertEquals("re-signed " + ca.crl().toAbsolutePath() + "; nodes refuse the certificate on their next CRL reload",
                lines.get(2));

        for (String serial : List.of(issued, renewed)) {
            JsonNode entry = ca.indexEntry(serial);
            assertNotNull(entry.get("revoked_at").textValue(), serial);
            assertEquals("key-compromise", entry.get("revocation_reason").asText());
        }
        assertTrue(ca.indexEntry(bystander).get("revoked_at").isNull());
        assertEquals(2, ca.indexJson().get("crl_number").asLong());

        List<X509CRL> crls = ca.crls();
        assertEquals(ca.intermediateCertificate().getSubjectX500Principal(), crls.get(0).getIssuerX500Principal());
        assertEquals(Set.of(issued, renewed), revokedSerials(crls.get(0)), "leaves are on the intermediate's CRL");
        assertEquals(Set.of(), revokedSerials(crls.get(1)), "the root's CRL lists no leaf");
        for (X509CRLEntry entry : crls.get(0).getRevokedCertificates()) {
            assertEquals(CRLReason.KEY_COMPROMISE, entry.getRevocationReason());
        }
        crls.get(0).verify(ca.intermediateCertificate().getPublicKey());
        crls.get(1).verify(ca.rootCertificate().getPublicKey());
    }

    @Test
    void aSerialWithColonsAndUpperCaseIsRevokedAndRevokingItAgainChangesNothing() throws Exception {
        String serial = ca.issue("proxy", "proxy-1").get("serial").asText();
        String typed = colonSeparatedUpperCase(serial);

        CliRunner.Result result = ca.ok("revoke", "--serial", typed);
        assertTrue(result.out().startsWith("revoked serial " + serial + " (spiffe://cell-1.gitward/proxy/proxy-1) at "),
                result::describe);
        assertEquals(Set.of(serial), revokedSerials(ca.crls().get(0)));
        assertEquals("unspecified", ca.indexEntry(serial).get("revocation_reason").asText());

        byte[] crlBefore = Files.readAllBytes(ca.crl());
        byte[] indexBefore = Files.readAllBytes(ca.index());
        CliRunner.Result again = ca.ok("revoke", "--serial", "0x" + serial);
        assertEquals("serial 0x" + serial + " was already revoked; CRL unchanged", again.out().strip());
        assertArrayEquals(crlBefore, Files.readAllBytes(ca.crl()));
        assertArrayEquals(indexBefore, Files.readAllBytes(ca.index()));
    }

    @Test
    void theCrlNumberStrictlyIncreasesWithEveryRevocationAndRefresh() throws Exception {
        assertEquals(List.of(1L, 1L), crlNumbers());
        ca.ok("crl");
        assertEquals(List.of(2L, 2L), crlNumbers());
        ca.issue("storage", "storage-1");
        assertEquals(List.of(2L, 2L), crlNumbers(), "issuing does not re-sign the CRL");
        ca.ok("revoke", "--role", "storage", "--name", "storage-1");
        assertEquals(List.of(3L, 3L), crlNumbers());
        ca.ok("crl", "--next-update", "1h");
        ca.ok("crl");
        assertEquals(List.of(5L, 5L), crlNumbers());
        assertEquals(5, ca.indexJson().get("crl_number").asLong(), "index.json records the current CRL number");
    }

    @Test
    void crlHonoursNextUpdateAndPrintsItsFacts() throws Exception {
        JsonNode json = ca.ok("crl", "--next-update", "2h", "--json").json();
        assertEquals(new TreeSet<>(Set.of("crl", "crl_number", "this_update", "next_update", "revoked_count")),
                IssuedJson.fieldNames(json));
        assertEquals(ca.crl().toAbsolutePath().toString(), json.get("crl").asText());
        assertEquals(2, json.get("crl_number").asLong());
        assertEquals(0, json.get("revoked_count").asInt());
        for (X509CRL crl : ca.crls()) {
            assertEquals(Duration.ofHours(2), Duration.between(crl.getThisUpdate().toInstant(), crl.getNextUpdate().toInstant()));
            assertEquals(json.get("next_update").asText(), crl.getNextUpdate().toInstant().toString());
            assertEquals(json.get("this_update").asText(), crl.getThisUpdate().toInstant().toString());
        }

        CliRunner.Result text = ca.ok("crl");
        assertTrue(text.out().startsWith("signed " + ca.crl().toAbsolutePath() + ": crl number 3, 0 revoked, next update "),
                text::describe);
        X509CRL crl = ca.crls().get(0);
        assertEquals(Duration.ofDays(7), Duration.between(crl.getThisUpdate().toInstant(), crl.getNextUpdate().toInstant()),
                "without --next-update the CA's crl_validity applies");
    }

    @Test
    void revokingTheIntermediateListsItOnTheRootsCrlAndItsLeavesFailVerification() throws Exception {
        ca.issue("storage", "storage-1");
        String intermediate = Certificates.serialHex(ca.intermediateCertificate());
        CliRunner.Result result = ca.ok("revoke", "--serial", intermediate, "--reason", "ca-compromise");
        assertTrue(result.out().startsWith("revoked serial " + intermediate + " (intermediate) at "), result::describe);
        List<X509CRL> crls = ca.crls();
        assertEquals(Set.of(), revokedSerials(crls.get(0)));
        assertEquals(Set.of(intermediate), revokedSerials(crls.get(1)));

        CliRunner.Result verify = ca.run("verify", ca.chain("storage", "storage-1").toString()).assertExit(1);
        assertTrue(verify.out().startsWith("invalid: revoked: "), verify::describe);
        assertTrue(verify.out().contains("intermediate"), verify::describe);
    }

    private List<Long> crlNumbers() throws Exception {
        return ca.crls().stream().map(crl -> TrustBundle.crlNumber(crl).longValueExact()).toList();
    }

    static Set<String> revokedSerials(X509CRL crl) {
        Set<String> serials = new TreeSet<>();
        if (crl.getRevokedCertificates() != null) {
            for (X509CRLEntry entry : crl.getRevokedCertificates()) {
                serials.add(Certificates.serialHex(entry.getSerialNumber()));
            }
        }
        return serials;
    }

    /** "4f3a..." as openssl prints it: "4F:3A:...". */
    static String colonSeparatedUpperCase(String serial) {
        return HexFormat.ofDelimiter(":").formatHex(new BigInteger(serial, 16).toByteArray()).toUpperCase(Locale.ROOT);
    }
}
