package io.gitward.pki.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.pki.CertificateProfiles;
import io.gitward.pki.KeyFiles;
import io.gitward.pki.KeyType;
import io.gitward.pki.SubjectAltNames;
import io.gitward.security.identity.IdentityMode;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.x509.CertificateRejectedException;
import io.gitward.security.x509.Certificates;
import io.gitward.security.x509.PeerCertificateValidator;
import io.gitward.security.x509.Pem;
import io.gitward.security.x509.Purpose;
import io.gitward.security.x509.RejectReason;
import io.gitward.security.x509.RevocationPolicy;
import io.gitward.security.x509.TrustBundles;
import io.gitward.security.x509.TrustMaterial;
import io.gitward.security.x509.ValidationOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.x509.Extension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cells: one offline root, a name-constrained CA per cell ({@code pki init-cell}), and the rule that a certificate
 * counts for a trust domain only through that domain's own CA, whether the cells share a root or not.
 */
class CellsTest {
    private static final String CELL_A = "cell-a.gitward";
    private static final String CELL_B = "cell-b.gitward";

    @TempDir
    Path tmp;

    TestCa root;
    TestCa cellA;
    TestCa cellB;

    @BeforeEach
    void offlineRootWithTwoCells() {
        CliRunner.ok("init", "--dir", tmp.resolve("root").toString(), "--trust-domain", "gitward", "--offline-root");
        root = new TestCa(tmp.resolve("root"));
        cellA = cell(CELL_A);
        cellB = cell(CELL_B);
        cellA.issue("storage", "storage-1");
        cellB.issue("storage", "storage-1");
    }

    private TestCa cell(String domain) {
        Path dir = tmp.resolve(domain);
        CliRunner.ok("init-cell", "--root", root.dir().toString(), "--dir", dir.toString(), "--trust-domain", domain);
        return new TestCa(dir);
    }

    @Test
    void aCellHoldsItsOwnNameConstrainedCaAndNeverTheRootKey() throws Exception {
        assertFalse(Files.exists(cellA.caFile("root-key.pem")), "the root key stays with the offline root");
        assertTrue(Files.exists(cellA.caFile("intermediate-key.pem")));
        assertEquals(root.rootCertificate(), cellA.rootCertificate());
        assertEquals(List.of(root.rootCertificate()), Pem.readCertificatesRequired(cellA.roots()));
        X509Certificate intermediate = cellA.intermediateCertificate();
        assertTrue(intermediate.getCriticalExtensionOIDs().contains(Extension.nameConstraints.getId()),
                "name constraints are critical");
        assertEquals(0, intermediate.getBasicConstraints(), "a cell CA signs leaves only");
        assertEquals(root.rootCertificate().getSubjectX500Principal(), intermediate.getIssuerX500Principal());
        assertEquals("spiffe://" + CELL_A, root.indexEntry(Certificates.serialHex(intermediate)).get("identity").asText(),
                "the root's index records each cell it signed");
        assertEquals(root.dir().toAbsolutePath().toString(), cellA.metadataJson().get("root_dir").asText());
        // openssl checks the chain and its URI name constraint too.
        Openssl.ok("verify", "-CAfile", cellA.roots().toString(), "-untrusted", cellA.chain("storage", "storage-1").toString(),
                cellA.cert("storage", "storage-1").toString());
        assertTrue(cellA.ok("verify", cellA.cert("storage", "storage-1").toString()).out()
                .startsWith("valid: spiffe://" + CELL_A + "/storage/storage-1 "));
    }

    @Test
    void theOfflineRootSignsCellsOnlyAndARootOfAnotherKindCannotHostCells() {
        CliRunner.Result issue = root.run("issue", "--role", "storage", "--name", "storage-9").assertExit(1);
        assertTrue(issue.err().contains("is an offline root: it signs cell CAs only, never a node"), issue::describe);

        TestCa ordinary = TestCa.init(tmp.resolve("ordinary"), "--intermediate");
        CliRunner.Result refused = CliRunner.run("init-cell", "--root", ordinary.dir().toString(), "--dir",
                tmp.resolve("c").toString(), "--trust-domain", "cell-c.gitward").assertExit(1);
        assertTrue(refused.err().contains("not an offline root (ca.json issuer is 'intermediate')"), refused::describe);
        assertFalse(Files.exists(tmp.resolve("c").resolve("ca")), "a refused init-cell writes nothing");

        CliRunner.Result underscore = CliRunner.run("init-cell", "--root", root.dir().toString(), "--dir",
                tmp.resolve("d").toString(), "--trust-domain", "cell_d.gitward").assertExit(1);
        assertTrue(underscore.err().contains("cannot be a name constraint"), underscore::describe);

        CliRunner.Result both = CliRunner.run("init", "--dir", tmp.resolve("e").toString(), "--trust-domain", "x.gitward",
                "--offline-root", "--intermediate").assertExit(1);
        assertTrue(both.err().contains("--offline-root and --intermediate exclude each other"), both::describe);
    }

    @Test
    void underASharedRootEachCellCountsOnlyForItsOwnDomain() throws Exception {
        TrustMaterial sharedRoot = TrustMaterial.of(bundle(CELL_A, cellA.roots(), cellA.crl()),
                bundle(CELL_B, cellB.roots(), cellB.crl()));
        validate(sharedRoot, cellA.chain("storage", "storage-1"));
        validate(sharedRoot, cellB.chain("storage", "storage-1"));

        Path forged = forge(CELL_B, "auditor", "forged", cellA.intermediateCertificate(),
                KeyFiles.read(cellA.caFile("intermediate-key.pem"), null));
        CertificateRejectedException refused = assertThrows(CertificateRejectedException.class,
                () -> validate(sharedRoot, forged));
        assertEquals(RejectReason.NAME_CONSTRAINTS, refused.reason(), refused::getMessage);
        assertTrue(refused.getMessage().contains("outside the name constraints"), refused::getMessage);

        CliRunner.Result cli = CliRunner.run("verify", "--ca", cellB.roots().toString(), "--crl", cellB.crl().toString(),
                forged.toString()).assertExit(1);
        assertTrue(cli.out().startsWith("invalid: name_constraints: spiffe://" + CELL_B + "/auditor/forged "), cli::describe);
    }

    @Test
    void aSharedRootWithAnUnconstrainedIntermediateBindsNoDomain() throws Exception {
        // An intermediate made outside init-cell, without name constraints, directly under the shared root.
        PrivateKey rootKey = KeyFiles.read(root.caFile("root-key.pem"), null);
        KeyPair keys = KeyType.EC_P256.generate();
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        X509Certificate loose = CertificateProfiles.intermediate(
                CertificateProfiles.caSubject(TrustDomain.of(CELL_A), "Loose CA"), keys.getPublic(), root.rootCertificate(),
                rootKey, KeyType.EC_P256, now.minusSeconds(60), now.plus(1, ChronoUnit.DAYS));
        Path forged = forge(CELL_B, "storage", "storage-1", loose, keys.getPrivate());
        TrustMaterial sharedRoot = TrustMaterial.of(bundle(CELL_A, cellA.roots(), null), bundle(CELL_B, cellB.roots(), null));
        CertificateRejectedException refused = assertThrows(CertificateRejectedException.class,
                () -> validate(sharedRoot, forged));
        assertEquals(RejectReason.FOREIGN_TRUST_DOMAIN, refused.reason(), refused::getMessage);
        assertTrue(refused.getMessage().contains("is shared by trust domains [" + CELL_A + ", " + CELL_B + "]"),
                refused::getMessage);

        // With a root of its own, the same intermediate is fine: nothing else shares the anchor.
        TrustMaterial alone = TrustMaterial.of(bundle(CELL_B, cellB.roots(), null));
        validate(alone, forged);
    }

    @Test
    void pinningEachDomainToItsCellCaAlsoRefusesTheOtherCell() throws Exception {
        TrustMaterial pinned = TrustMaterial.of(bundle(CELL_A, cellA.caFile("intermediate-cert.pem"), null),
                bundle(CELL_B, cellB.caFile("intermediate-cert.pem"), null));
        validate(pinned, cellB.cert("storage", "storage-1"));
        Path forged = forge(CELL_B, "storage", "storage-2", cellA.intermediateCertificate(),
                KeyFiles.read(cellA.caFile("intermediate-key.pem"), null));
        CertificateRejectedException refused = assertThrows(CertificateRejectedException.class,
                () -> validate(pinned, forged));
        assertEquals(RejectReason.UNTRUSTED_ISSUER, refused.reason(), refused::getMessage);
    }

    @Test
    void withSeparateRootsTheOtherCellsRootVouchesForNothingHere() throws Exception {
        CliRunner.ok("init", "--dir", tmp.resolve("sep-a").toString(), "--trust-domain", CELL_A, "--intermediate");
        CliRunner.ok("init", "--dir", tmp.resolve("sep-b").toString(), "--trust-domain", CELL_B, "--intermediate");
        TestCa a = new TestCa(tmp.resolve("sep-a"));
        TestCa b = new TestCa(tmp.resolve("sep-b"));
        TrustMaterial separate = TrustMaterial.of(bundle(CELL_A, a.roots(), null), bundle(CELL_B, b.roots(), null));
        Path forged = forge(CELL_B, "admin", "forged", a.intermediateCertificate(),
                KeyFiles.read(a.caFile("intermediate-key.pem"), null));
        CertificateRejectedException refused = assertThrows(CertificateRejectedException.class,
                () -> validate(separate, forged));
        assertEquals(RejectReason.UNTRUSTED_ISSUER, refused.reason(), refused::getMessage);
    }

    @Test
    void theRootRevokesAWholeCellAndTheCellCarriesTheRootsNewCrl() throws Exception {
        String cellSerial = Certificates.serialHex(cellB.intermediateCertificate());
        CliRunner.Result own = cellB.run("revoke", "--serial", cellSerial).assertExit(1);
        assertTrue(own.err().contains("its root revokes it: gitward pki revoke --dir " + root.dir().toAbsolutePath()),
                own::describe);

        root.ok("revoke", "--serial", cellSerial, "--reason", "ca-compromise");
        cellB.ok("crl");
        assertEquals(2, cellB.crls().size(), "the cell's CRL, then the root's");
        CliRunner.Result verdict = cellB.run("verify", cellB.cert("storage", "storage-1").toString()).assertExit(1);
        assertTrue(verdict.out().startsWith("invalid: revoked: ") && verdict.out().contains("intermediate"),
                verdict::describe);
        assertTrue(cellA.ok("verify", cellA.cert("storage", "storage-1").toString()).out().startsWith("valid: "),
                "the other cell is untouched");
    }

    private static io.gitward.security.x509.TrustBundle bundle(String domain, Path roots, Path crl) throws Exception {
        return TrustBundles.load(TrustDomain.of(domain), roots, crl == null ? List.of() : List.of(crl),
                crl == null ? RevocationPolicy.OFF : RevocationPolicy.REQUIRE);
    }

    private static void validate(TrustMaterial trust, Path chain) throws Exception {
        List<X509Certificate> presented = Pem.readCertificatesRequired(chain);
        assertNotNull(new PeerCertificateValidator(trust).validate(presented, List.of(),
                new ValidationOptions(Instant.now(), Purpose.NODE, IdentityMode.URI_SAN, true)));
    }

    /** A leaf claiming {@code domain}, signed by a CA that belongs to some other cell; written as leaf + issuer. */
    private Path forge(String domain, String role, String name, X509Certificate issuer, PrivateKey issuerKey)
            throws Exception {
        NodeIdentity identity = new NodeIdentity(TrustDomain.of(domain), Role.parse(role), name);
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        X509Certificate leaf = CertificateProfiles.leaf(identity, KeyType.EC_P256.generate().getPublic(),
                SubjectAltNames.LOCAL, issuer, issuerKey, KeyType.EC_P256, now.minusSeconds(60), now.plus(1, ChronoUnit.HOURS));
        List<X509Certificate> chain = new ArrayList<>(List.of(leaf, issuer));
        Path file = tmp.resolve("forged-" + domain + "-" + name + ".pem");
        Files.writeString(file, Pem.encodeCertificates(chain));
        return file;
    }
}
