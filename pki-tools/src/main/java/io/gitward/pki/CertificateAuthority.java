package io.gitward.pki;

import static java.util.Objects.requireNonNull;

import io.gitward.security.files.SecureFiles;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.json.Json;
import io.gitward.security.x509.Certificates;
import io.gitward.security.x509.CryptoPolicy;
import io.gitward.security.x509.KeyPairs;
import io.gitward.security.x509.Pem;
import io.gitward.security.x509.PemException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A certificate authority in a directory (see {@link CaLayout}). Every change runs under the CA lock,
 * validates all input before writing, and writes each file by temp file + rename, so a refused
 * operation leaves nothing behind and a parallel one never loses an index entry.
 */
public final class CertificateAuthority {
    public static final Duration DEFAULT_CRL_VALIDITY = Duration.ofDays(7);

    private final CaLayout layout;
    private final CaMetadata metadata;
    private final TrustDomain trustDomain;
    private final X509Certificate root;
    private final X509Certificate intermediate;
    private final char[] passphrase;
    private final Clock clock;

    private CertificateAuthority(CaLayout layout, CaMetadata metadata, X509Certificate root,
            X509Certificate intermediate, char[] passphrase, Clock clock) {
        this.layout = layout;
        this.metadata = metadata;
        this.trustDomain = TrustDomain.of(metadata.trustDomain());
        this.root = root;
        this.intermediate = intermediate;
        this.passphrase = passphrase;
        this.clock = clock;
    }

    /** Options of {@code pki init}. {@code passphrase} null leaves the CA keys unencrypted. */
    public record InitOptions(TrustDomain trustDomain, Duration ttl, KeyType keyType, boolean intermediate,
            char[] passphrase, Duration crlValidity, boolean offlineRoot) {
        public InitOptions {
            requireNonNull(trustDomain, "trustDomain");
            requireNonNull(ttl, "ttl");
            requireNonNull(keyType, "keyType");
            requireNonNull(crlValidity, "crlValidity");
            if (offlineRoot && intermediate) {
                throw new IllegalArgumentException("--offline-root and --intermediate exclude each other (an offline root's"
                        + " intermediates are cells: gitward pki init-cell)");
            }
        }

        public InitOptions(TrustDomain trustDomain, Duration ttl, KeyType keyType, boolean intermediate,
                char[] passphrase, Duration crlValidity) {
            this(trustDomain, ttl, keyType, intermediate, passphrase, crlValidity, false);
        }
    }

    /** Options of {@code pki init-cell}: the cell's trust domain and its intermediate's lifetime, keys and CRLs. */
    public record CellOptions(TrustDomain trustDomain, Duration ttl, KeyType keyType, char[] passphrase,
            Duration crlValidity) {
        public CellOptions {
            requireNonNull(trustDomain, "trustDomain");
            requireNonNull(ttl, "ttl");
            requireNonNull(keyType, "keyType");
            requireNonNull(crlValidity, "crlValidity");
        }
    }

    /** What to issue: identity, lifetime, key type (null on renew: keep the previous one) and extra SANs. */
    public record LeafRequest(Role role, String name, Duration ttl, KeyType keyType, SubjectAltNames altNames) {
        public LeafRequest {
            requireNonNull(role, "role");
            requireNonNull(name, "name");
            requireNonNull(ttl, "ttl");
            requireNonNull(altNames, "altNames");
        }
    }

    /** Creates a CA in {@code dir}; {@code dir} may exist but must not already hold one. */
    public static CertificateAuthority init(Path dir, InitOptions options, Clock clock) throws PkiException {
        CaLayout layout = new CaLayout(dir);
        if (Files.exists(layout.metadata())) {
            throw new PkiException(layout.dir() + ": already a Gitward CA (" + layout.metadata()
                    + " exists); use another --dir or remove it first");
        }
        if (Files.exists(layout.caDir())) {
            throw new PkiException(layout.caDir() + ": exists but holds no ca.json; remove it or use another --dir");
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant notAfter = now.plus(options.ttl());
        Path staging = layout.dir().resolve(".ca-init-" + Long.toHexString(System.nanoTime()));
        try {
            SecureFiles.createDirectories(layout.dir(), SecureFiles.PUBLIC_DIRECTORY);
            SecureFiles.createDirectories(staging, SecureFiles.OWNER_ONLY_DIRECTORY);
            KeyPair rootKeys = options.keyType().generate();
            X509Certificate rootCertificate = CertificateProfiles.selfSignedRoot(
                    CertificateProfiles.caSubject(options.trustDomain(), "Gitward Root CA " + shortId()),
                    rootKeys, options.keyType(), now, notAfter, options.intermediate() || options.offlineRoot() ? 1 : 0);
            List<IndexEntry> entries = new ArrayList<>();
            entries.add(caEntry(rootCertificate, "root", "self", options.keyType(), now));
            X509Certificate intermediateCertificate = null;
            KeyPair intermediateKeys = null;
            if (options.intermediate()) {
                intermediateKeys = options.keyType().generate();
                intermediateCertificate = CertificateProfiles.intermediate(
                        CertificateProfiles.caSubject(options.trustDomain(), "Gitward Intermediate CA " + shortId()),
                        intermediateKeys.getPublic(), rootCertificate, rootKeys.getPrivate(), options.keyType(), now,
                        notAfter);
                entries.add(caEntry(intermediateCertificate, "intermediate", "root", options.keyType(), now));
            }
            CaMetadata metadata = new CaMetadata(CaMetadata.FORMAT, options.trustDomain().name(),
                    options.keyType().cliName(), options.intermediate() ? CaMetadata.ISSUER_INTERMEDIATE
                    : options.offlineRoot() ? CaMetadata.ISSUER_OFFLINE_ROOT : CaMetadata.ISSUER_ROOT,
                    options.passphrase() != null, Ttl.format(options.crlValidity()),
                    now.toString());
            Path stagedCa = staging.resolve("ca");
            SecureFiles.createDirectories(stagedCa, SecureFiles.OWNER_ONLY_DIRECTORY);
            KeyFiles.write(stagedCa.resolve(layout.rootKey().getFileName()), rootKeys.getPrivate(), options.passphrase());
            SecureFiles.writePublic(stagedCa.resolve(layout.rootCertificate().getFileName()),
                    Pem.encodeCertificates(List.of(rootCertificate)));
            if (intermediateCertificate != null) {
                KeyFiles.write(stagedCa.resolve(layout.intermediateKey().getFileName()), intermediateKeys.getPrivate(),
                        options.passphrase());
                SecureFiles.writePublic(stagedCa.resolve(layout.intermediateCertificate().getFileName()),
                        Pem.encodeCertificates(List.of(intermediateCertificate)));
            }
            SecureFiles.writePublic(stagedCa.resolve(layout.roots().getFileName()),
                    Pem.encodeCertificates(List.of(rootCertificate)));
            SecureFiles.writePublic(stagedCa.resolve(layout.metadata().getFileName()), Json.write(metadata));
            CaIndex index = new CaIndex(CaIndex.FORMAT, 1, entries);
            SecureFiles.writePublic(stagedCa.resolve(layout.index().getFileName()), Json.write(index));
            String crls = signCrls(index, rootCertificate, rootKeys.getPrivate(), intermediateCertificate,
                    intermediateKeys == null ? null : intermediateKeys.getPrivate(), options.keyType(), now,
                    options.crlValidity());
            SecureFiles.writePublic(stagedCa.resolve(layout.crl().getFileName()), crls);
            Files.move(stagedCa, layout.caDir(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            SecureFiles.createDirectories(layout.nodesDir(), SecureFiles.PUBLIC_DIRECTORY);
            return new CertificateAuthority(layout, metadata, rootCertificate, intermediateCertificate,
                    options.passphrase(), clock);
        } catch (IOException e) {
            throw new PkiException(layout.dir() + ": cannot create the CA (" + e.getMessage() + ")", e);
        } finally {
            deleteRecursively(staging);
        }
    }

    /**
     * Creates a cell CA in {@code dir}: an issuing intermediate for {@code options.trustDomain()}, signed by the offline
     * root in {@code rootDir} and name-constrained to that domain's SPIFFE URIs, so a cell's CA cannot vouch for
     * another cell's identities although every cell trusts the same root. The root's key is read once and never
     * copied; {@code dir} gets the root certificate, the intermediate and its key, and the root's current CRL.
     * The root's index records the intermediate, so {@code pki revoke --dir ROOT --serial S} revokes a whole cell.
     */
    public static CertificateAuthority initCell(Path rootDir, char[] rootPassphrase, Path dir, CellOptions options,
            Clock clock) throws PkiException {
        CertificateAuthority root = open(rootDir, rootPassphrase, clock);
        if (!root.metadata.isOfflineRoot()) {
            throw new PkiException("--root " + root.layout.dir() + ": not an offline root (ca.json issuer is '"
                    + root.metadata.issuer() + "'); create one with: gitward pki init --dir ROOT --trust-domain TD"
                    + " --offline-root");
        }
        TrustDomain domain = options.trustDomain();
        if (!domain.name().matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")) {
            throw new PkiException("--trust-domain: '" + domain + "' cannot be a name constraint (expected a DNS-style"
                    + " name: labels of a-z, 0-9 and inner '-', separated by '.')");
        }
        CaLayout layout = new CaLayout(dir);
        if (layout.dir().equals(root.layout.dir())) {
            throw new PkiException("--dir " + layout.dir() + ": is the root's directory; a cell needs a directory of its own");
        }
        if (Files.exists(layout.metadata()) || Files.exists(layout.caDir())) {
            throw new PkiException(layout.dir() + ": already holds a CA (" + layout.caDir() + " exists); use another --dir");
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant notAfter = now.plus(options.ttl());
        Instant rootExpiry = root.root.getNotAfter().toInstant();
        if (notAfter.isAfter(rootExpiry)) {
            throw new PkiException("--ttl " + Ttl.format(options.ttl()) + " would end at " + notAfter + ", after the root"
                    + " expires (" + rootExpiry + "); use a shorter --ttl");
        }
        Path staging = layout.dir().resolve(".ca-init-" + Long.toHexString(System.nanoTime()));
        try (CaLock lock = CaLock.acquire(root.layout.lock())) {
            CaIndex rootIndex = root.readIndex();
            PrivateKey rootKey = root.rootKey();
            SecureFiles.createDirectories(layout.dir(), SecureFiles.PUBLIC_DIRECTORY);
            SecureFiles.createDirectories(staging, SecureFiles.OWNER_ONLY_DIRECTORY);
            KeyPair keys = options.keyType().generate();
            X509Certificate cellCertificate = CertificateProfiles.intermediate(
                    CertificateProfiles.caSubject(domain, "Gitward Cell CA " + shortId()), keys.getPublic(), root.root,
                    rootKey, root.issuingKeyType(), now, notAfter, domain);
            IndexEntry cellEntry = new IndexEntry(Certificates.serialHex(cellCertificate), "intermediate",
                    "spiffe://" + domain.name(), null, null, options.keyType().cliName(), "root",
                    cellCertificate.getNotBefore().toInstant().toString(), cellCertificate.getNotAfter().toInstant().toString(),
                    Certificates.sha256(cellCertificate), now.toString(), "init-cell", null, null);
            CaMetadata metadata = new CaMetadata(CaMetadata.FORMAT, domain.name(), options.keyType().cliName(),
                    CaMetadata.ISSUER_INTERMEDIATE, options.passphrase() != null, Ttl.format(options.crlValidity()),
                    now.toString(), root.layout.dir().toString());
            List<IndexEntry> entries = new ArrayList<>();
            entries.add(caEntry(root.root, "root", "self", KeyType.parse(root.metadata.keyType()), now));
            entries.add(cellEntry);
            CaIndex index = new CaIndex(CaIndex.FORMAT, 1, entries);
            Path stagedCa = staging.resolve("ca");
            SecureFiles.createDirectories(stagedCa, SecureFiles.OWNER_ONLY_DIRECTORY);
            String rootPem = Pem.encodeCertificates(List.of(root.root));
            SecureFiles.writePublic(stagedCa.resolve(layout.rootCertificate().getFileName()), rootPem);
            SecureFiles.writePublic(stagedCa.resolve(layout.roots().getFileName()), rootPem);
            KeyFiles.write(stagedCa.resolve(layout.intermediateKey().getFileName()), keys.getPrivate(), options.passphrase());
            SecureFiles.writePublic(stagedCa.resolve(layout.intermediateCertificate().getFileName()),
                    Pem.encodeCertificates(List.of(cellCertificate)));
            SecureFiles.writePublic(stagedCa.resolve(layout.metadata().getFileName()), Json.write(metadata));
            SecureFiles.writePublic(stagedCa.resolve(layout.index().getFileName()), Json.write(index));
            String crls = Pem.encodeCrl(crlFor("intermediate", index, cellCertificate, keys.getPrivate(), options.keyType(),
                    now, options.crlValidity())) + root.rootCrlPem(null);
            SecureFiles.writePublic(stagedCa.resolve(layout.crl().getFileName()), crls);
            // The root records the cell before the cell exists: a crash leaves an unused entry, never an unknown CA.
            root.appendToIndex(rootIndex, cellEntry);
            Files.move(stagedCa, layout.caDir(), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            SecureFiles.createDirectories(layout.nodesDir(), SecureFiles.PUBLIC_DIRECTORY);
            return new CertificateAuthority(layout, metadata, root.root, cellCertificate, options.passphrase(), clock);
        } catch (IOException e) {
            throw new PkiException(layout.dir() + ": cannot create the cell CA (" + e.getMessage() + ")", e);
        } finally {
            deleteRecursively(staging);
        }
    }

    /**
     * The root's CRL as PEM: from the root CA's own {@code ca/crl.pem} when that directory is reachable, else the one
     * this cell carried so far ({@code current}, the cell's crl.pem text). The newer of the two by CRL number wins.
     */
    private String rootCrlPem(String current) throws PkiException {
        X509CRL best = null;
        List<X509CRL> candidates = new ArrayList<>();
        Path rootCrl = metadata.isCell() ? new CaLayout(Path.of(metadata.rootDir())).crl() : layout.crl();
        try {
            if (Files.isRegularFile(rootCrl)) {
                candidates.addAll(Pem.readCrls(rootCrl));
            }
            if (current != null && Files.isRegularFile(layout.crl())) {
                candidates.addAll(Pem.readCrls(layout.crl()));
            }
        } catch (PemException e) {
            throw new PkiException(e.getMessage() + "; re-sign the root's CRL with: gitward pki crl --dir ROOT", e);
        }
        for (X509CRL crl : candidates) {
            if (crl.getIssuerX500Principal().equals(root.getSubjectX500Principal())
                    && (best == null || io.gitward.security.x509.TrustBundle.crlNumber(crl)
                    .compareTo(io.gitward.security.x509.TrustBundle.crlNumber(best)) > 0)) {
                best = crl;
            }
        }
        if (best == null) {
            throw new PkiException(rootCrl + ": no CRL of the root '" + root.getSubjectX500Principal().getName()
                    + "' (mount the root's directory or copy its ca/crl.pem there, then retry)");
        }
        return Pem.encodeCrl(best);
    }

    /**
     * Opens an existing CA. Keys are read only when an operation signs.
     *
     * @param passphrase the CA key passphrase, or null for an unencrypted CA or read-only use
     */
    public static CertificateAuthority open(Path dir, char[] passphrase, Clock clock) throws PkiException {
        CaLayout layout = new CaLayout(dir);
        if (!Files.isDirectory(layout.dir())) {
            throw new PkiException("--dir " + layout.dir() + ": no such directory (create a CA with: gitward pki init --dir "
                    + layout.dir() + " --trust-domain TD)");
        }
        if (!Files.isRegularFile(layout.metadata())) {
            throw new PkiException("--dir " + layout.dir() + ": not a Gitward CA (no ca/ca.json); create one with: "
                    + "gitward pki init --dir " + layout.dir() + " --trust-domain TD");
        }
        CaMetadata metadata;
        try {
            metadata = Json.mapper().readValue(layout.metadata().toFile(), CaMetadata.class);
        } catch (IOException e) {
            throw new PkiException(layout.metadata() + ": cannot be read as CA metadata (" + e.getClass().getSimpleName()
                    + "); restore it from backup");
        }
        if (!CaMetadata.FORMAT.equals(metadata.format())) {
            throw new PkiException(layout.metadata() + ": format '" + metadata.format() + "' (expected: "
                    + CaMetadata.FORMAT + ")");
        }
        X509Certificate root = readSingleCertificate(layout.rootCertificate());
        X509Certificate intermediate = metadata.usesIntermediate()
                ? readSingleCertificate(layout.intermediateCertificate()) : null;
        return new CertificateAuthority(layout, metadata, root, intermediate, passphrase, clock);
    }

    public CaLayout layout() {
        return layout;
    }

    public CaMetadata metadata() {
        return metadata;
    }

    public TrustDomain trustDomain() {
        return trustDomain;
    }

    public X509Certificate rootCertificate() {
        return root;
    }

    /** The certificate that signs leaves: the intermediate when there is one, else the root. */
    public X509Certificate issuingCertificate() {
        return intermediate != null ? intermediate : root;
    }

    public CaIndex index() throws PkiException {
        return readIndex();
    }

    /** Issues a new key and certificate for an identity that has none yet. */
    public IssuedCertificate issue(LeafRequest request) throws PkiException {
        return issueWithNewKey(request, false);
    }

    /** Replaces an identity's key and certificate; the previous certificate stays valid until it expires. */
    public IssuedCertificate renew(LeafRequest request) throws PkiException {
        return issueWithNewKey(request, true);
    }

    private IssuedCertificate issueWithNewKey(LeafRequest request, boolean renewal) throws PkiException {
        requireIssuesLeaves();
        NodeIdentity identity = identity(request.role(), request.name());
        Path nodeDir = layout.nodeDir(request.role(), request.name());
        try (CaLock lock = CaLock.acquire(layout.lock())) {
            // Read the index before writing anything: a damaged CA must refuse without leaving node files.
            CaIndex index = readIndex();
            boolean exists = Files.exists(CaLayout.certificate(nodeDir));
            if (!renewal && exists) {
                throw new PkiException(identity.roleAndName() + " already has a certificate (" + CaLayout.certificate(nodeDir)
                        + "); use 'gitward pki renew' to replace it");
            }
            if (renewal && !exists) {
                throw new PkiException(identity.roleAndName() + " has no certificate to renew (" + CaLayout.certificate(nodeDir)
                        + " is missing); use 'gitward pki issue'");
            }
            Validity validity = validity(request.ttl());
            PrivateKey issuerKey = issuingKey();
            KeyType keyType = request.keyType() != null ? request.keyType() : previousKeyType(index, identity);
            KeyPair keys = keyType.generate();
            X509Certificate leaf = CertificateProfiles.leaf(identity, keys.getPublic(), request.altNames(),
                    issuingCertificate(), issuerKey, issuingKeyType(), validity.notBefore, validity.notAfter);
            writeNodeFiles(nodeDir, keys.getPrivate(), leaf);
            appendToIndex(index, leafEntry(identity, leaf, keyType.cliName(), renewal ? "renew" : "issue"));
            return describe(identity, leaf, keyType.cliName(), nodeDir, true);
        }
    }

    /**
     * Signs a node's certificate request; the node's key never leaves the node. The identity comes from
     * the operator's role and name; a request that asks for a different identity is refused.
     */
    public IssuedCertificate sign(CsrRequest csr, Role role, String name, Duration ttl, SubjectAltNames altNames)
            throws PkiException {
        requireIssuesLeaves();
        NodeIdentity identity = identity(role, name);
        csr.requireValidFor(identity);
        PublicKey publicKey = csr.publicKey();
        Path nodeDir = layout.nodeDir(role, name);
        try (CaLock lock = CaLock.acquire(layout.lock())) {
            CaIndex index = readIndex();
            Path existingKey = CaLayout.key(nodeDir);
            if (Files.exists(existingKey)) {
                PrivateKey key = KeyFiles.read(existingKey, null);
                if (!KeyPairs.matches(key, publicKey)) {
                    throw new PkiException(existingKey + " holds a key issued earlier that does not match " + csr.source()
                            + "; remove that directory's key.pem or sign for another name");
                }
            }
            Validity validity = validity(ttl);
            X509Certificate leaf = CertificateProfiles.leaf(identity, publicKey, altNames, issuingCertificate(),
                    issuingKey(), issuingKeyType(), validity.notBefore, validity.notAfter);
            writeNodeFiles(nodeDir, null, leaf);
            appendToIndex(index, leafEntry(identity, leaf, CryptoPolicy.keyDescription(publicKey), "sign"));
            return describe(identity, leaf, CryptoPolicy.keyDescription(publicKey), nodeDir, false);
        }
    }

    /**
     * Revokes every unexpired, unrevoked certificate of an identity, then re-signs the CRLs.
     *
     * @return the entries revoked now
     */
    public List<IndexEntry> revokeIdentity(Role role, String name, String reason) throws PkiException {
        NodeIdentity identity = identity(role, name);
        try (CaLock lock = CaLock.acquire(layout.lock())) {
            CaIndex index = readIndex();
            Instant now = clock.instant();
            List<IndexEntry> targets = new ArrayList<>();
            for (IndexEntry entry : index.entries()) {
                if (identity.spiffeId().equals(entry.identity()) && !entry.revoked()
                        && Instant.parse(entry.notAfter()).isAfter(now)) {
                    targets.add(entry);
                }
            }
            if (targets.isEmpty()) {
                throw new PkiException(identity.roleAndName() + " has no valid certificate in this CA's record ("
                        + layout.index() + "); list them with: gitward pki list --dir " + layout.dir());
            }
            return revokeLocked(index, targets, reason);
        }
    }

    /** Revokes one serial (hex, colons allowed), then re-signs the CRLs. Revoking twice is not an error. */
    public List<IndexEntry> revokeSerial(String serialText, String reason) throws PkiException {
        String serial = normalizeSerial(serialText);
        try (CaLock lock = CaLock.acquire(layout.lock())) {
            CaIndex index = readIndex();
            IndexEntry target = null;
            for (IndexEntry entry : index.entries()) {
                if (entry.serial().equals(serial)) {
                    target = entry;
                }
            }
            if (target == null) {
                throw new PkiException("--serial " + serialText + ": not issued by this CA (not in " + layout.index()
                        + "); list serials with: gitward pki list --dir " + layout.dir());
            }
            if ("root".equals(target.kind())) {
                throw new PkiException("--serial " + serialText + " is the root; a root is retired by removing it from "
                        + "roots.pem, not revoked");
            }
            if (metadata.isCell() && "intermediate".equals(target.kind())) {
                throw new PkiException("--serial " + serialText + " is this cell's own CA; its root revokes it: gitward pki"
                        + " revoke --dir " + metadata.rootDir() + " --serial " + serial);
            }
            if (target.revoked()) {
                return List.of();
            }
            return revokeLocked(index, List.of(target), reason);
        }
    }

    private List<IndexEntry> revokeLocked(CaIndex index, List<IndexEntry> targets, String reason) throws PkiException {
        String at = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
        List<IndexEntry> updated = new ArrayList<>();
        List<IndexEntry> revoked = new ArrayList<>();
        for (IndexEntry entry : index.entries()) {
            if (targets.contains(entry)) {
                IndexEntry revokedEntry = entry.revoke(at, reason);
                updated.add(revokedEntry);
                revoked.add(revokedEntry);
            } else {
                updated.add(entry);
            }
        }
        CaIndex next = new CaIndex(CaIndex.FORMAT, index.crlNumber(), updated);
        writeCrlsAndIndex(next, parseValidity());
        return revoked;
    }

    /** Re-signs the CRLs with a new, higher CRL number and a fresh next-update. */
    public CrlInfo refreshCrl(Duration nextUpdate) throws PkiException {
        try (CaLock lock = CaLock.acquire(layout.lock())) {
            CaIndex index = readIndex();
            return writeCrlsAndIndex(index, nextUpdate != null ? nextUpdate : parseValidity());
        }
    }

    /** The facts of a freshly signed CRL set. */
    public record CrlInfo(String crl, long crlNumber, String thisUpdate, String nextUpdate, int revokedCount) {
    }

    private CrlInfo writeCrlsAndIndex(CaIndex index, Duration validity) throws PkiException {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        long number = index.crlNumber() + 1;
        CaIndex next = new CaIndex(CaIndex.FORMAT, number, index.entries());
        String crls;
        if (metadata.isCell()) {
            // The root is offline: sign the cell's own CRL, carry the root's newest CRL along.
            crls = Pem.encodeCrl(crlFor("intermediate", next, intermediate, issuingKey(), KeyType.parse(metadata.keyType()),
                    now, validity)) + rootCrlPem("");
        } else {
            PrivateKey rootKey = rootKey();
            PrivateKey intermediateKey = intermediate == null ? null : issuingKey();
            crls = signCrls(next, root, rootKey, intermediate, intermediateKey, KeyType.parse(metadata.keyType()), now,
                    validity);
        }
        try {
            // Index first: a crash between the two leaves the index ahead, and the next CRL number is still higher.
            SecureFiles.writePublic(layout.index(), Json.write(next));
            SecureFiles.writePublic(layout.crl(), crls);
        } catch (IOException e) {
            throw new PkiException(layout.crl() + ": cannot be written (" + e.getMessage() + ")", e);
        }
        int revokedCount = (int) next.entries().stream().filter(IndexEntry::revoked).count();
        return new CrlInfo(layout.crl().toString(), number, now.toString(), now.plus(validity).toString(), revokedCount);
    }

    private static String signCrls(CaIndex index, X509Certificate root, PrivateKey rootKey,
            X509Certificate intermediate, PrivateKey intermediateKey, KeyType keyType, Instant now, Duration validity)
            throws PkiException {
        StringBuilder pem = new StringBuilder();
        if (intermediate != null) {
            pem.append(Pem.encodeCrl(crlFor("intermediate", index, intermediate, intermediateKey, keyType, now, validity)));
        }
        pem.append(Pem.encodeCrl(crlFor("root", index, root, rootKey, keyType, now, validity)));
        return pem.toString();
    }

    private static X509CRL crlFor(String issuer, CaIndex index, X509Certificate issuerCertificate, PrivateKey key,
            KeyType keyType, Instant now, Duration validity) throws PkiException {
        List<CertificateProfiles.RevokedSerial> revoked = new ArrayList<>();
        for (IndexEntry entry : index.entries()) {
            // Expired certificates drop off the CRL after a day: they are refused as expired anyway.
            if (issuer.equals(entry.issuer()) && entry.revoked()
                    && Instant.parse(entry.notAfter()).plus(Duration.ofDays(1)).isAfter(now)) {
                int reason = CertificateProfiles.RevokedSerial.reasonCode(entry.revocationReason());
                revoked.add(new CertificateProfiles.RevokedSerial(new BigInteger(entry.serial(), 16),
                        Instant.parse(entry.revokedAt()), reason));
            }
        }
        return CertificateProfiles.crl(issuerCertificate, key, keyType, revoked, index.crlNumber(), now, now.plus(validity));
    }

    private void writeNodeFiles(Path nodeDir, PrivateKey key, X509Certificate leaf) throws PkiException {
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(leaf);
        if (intermediate != null) {
            chain.add(intermediate);
        }
        List<Path[]> staged = new ArrayList<>();
        try {
            SecureFiles.createDirectories(nodeDir, SecureFiles.OWNER_ONLY_DIRECTORY);
            if (key != null) {
                staged.add(new Path[] {SecureFiles.stage(CaLayout.key(nodeDir), KeyFiles.encode(key, null),
                        SecureFiles.OWNER_ONLY_FILE), CaLayout.key(nodeDir)});
            }
            staged.add(new Path[] {SecureFiles.stage(CaLayout.certificate(nodeDir), ascii(Pem.encodeCertificates(List.of(leaf))),
                    SecureFiles.PUBLIC_FILE), CaLayout.certificate(nodeDir)});
            staged.add(new Path[] {SecureFiles.stage(CaLayout.chain(nodeDir), ascii(Pem.encodeCertificates(chain)),
                    SecureFiles.PUBLIC_FILE), CaLayout.chain(nodeDir)});
            for (Path[] file : staged) {
                SecureFiles.commit(file[0], file[1]);
            }
        } catch (IOException e) {
            for (Path[] file : staged) {
                try {
                    Files.deleteIfExists(file[0]);
                } catch (IOException ignored) {
                    // best effort: the staged name is hidden and random
                }
            }
            throw new PkiException(nodeDir + ": cannot write the node's files (" + e.getMessage() + ")", e);
        }
    }

    private IssuedCertificate describe(NodeIdentity identity, X509Certificate leaf, String keyType, Path nodeDir,
            boolean withKey) {
        return new IssuedCertificate(identity.spiffeId(), identity.role().wireName(), identity.name(),
                identity.trustDomain().name(), Certificates.serialHex(leaf), leaf.getNotBefore().toInstant().toString(),
                leaf.getNotAfter().toInstant().toString(), Certificates.sha256(leaf), keyType,
                new IssuedCertificate.Files(withKey ? CaLayout.key(nodeDir).toString() : null,
                        CaLayout.certificate(nodeDir).toString(), CaLayout.chain(nodeDir).toString(),
                        layout.roots().toString(), layout.crl().toString()));
    }

    private NodeIdentity identity(Role role, String name) throws PkiException {
        String problem = NodeIdentity.nameProblem(name);
        if (problem != null) {
            throw new PkiException("--name: '" + name + "' (expected: 1 to 63 of [a-z0-9-])");
        }
        return new NodeIdentity(trustDomain, role, name);
    }

    private record Validity(Instant notBefore, Instant notAfter) {
    }

    private void requireIssuesLeaves() throws PkiException {
        if (metadata.isOfflineRoot()) {
            throw new PkiException("--dir " + layout.dir() + " is an offline root: it signs cell CAs only, never a node;"
                    + " create a cell with: gitward pki init-cell --root " + layout.dir() + " --dir CELL --trust-domain TD");
        }
    }

    private Validity validity(Duration ttl) throws PkiException {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant notAfter = now.plus(ttl);
        Instant caExpiry = issuingCertificate().getNotAfter().toInstant();
        if (notAfter.isAfter(caExpiry)) {
            throw new PkiException("--ttl " + Ttl.format(ttl) + " would end at " + notAfter + ", after the issuing CA expires ("
                    + caExpiry + "); use a shorter --ttl or roll the CA over");
        }
        Instant notBefore = now.minusSeconds(CertificateProfiles.BACKDATE_SECONDS);
        Instant caStart = issuingCertificate().getNotBefore().toInstant();
        return new Validity(notBefore.isBefore(caStart) ? caStart : notBefore, notAfter);
    }

    private Duration parseValidity() throws PkiException {
        return Ttl.parse("ca.json crl_validity", metadata.crlValidity());
    }

    private KeyType issuingKeyType() throws PkiException {
        return KeyType.parse(metadata.keyType());
    }

    private PrivateKey issuingKey() throws PkiException {
        return intermediate != null ? caKey(layout.intermediateKey(), intermediate) : caKey(layout.rootKey(), root);
    }

    private PrivateKey rootKey() throws PkiException {
        return caKey(layout.rootKey(), root);
    }

    private PrivateKey caKey(Path file, X509Certificate certificate) throws PkiException {
        if (metadata.keyEncrypted() && passphrase == null) {
            throw new PkiException(file + ": the CA key is passphrase-protected; pass --passphrase-file FILE"
                    + " (or set GITWARD_CA_PASSPHRASE_FILE)");
        }
        PrivateKey key = KeyFiles.read(file, metadata.keyEncrypted() ? passphrase : null);
        if (!KeyPairs.matches(key, certificate.getPublicKey())) {
            throw new PkiException(file + ": does not match " + Certificates.describe(certificate)
                    + "; restore the matching key or re-initialise the CA");
        }
        return key;
    }

    private CaIndex readIndex() throws PkiException {
        try {
            CaIndex index = Json.mapper().readValue(layout.index().toFile(), CaIndex.class);
            if (!CaIndex.FORMAT.equals(index.format())) {
                throw new PkiException(layout.index() + ": format '" + index.format() + "' (expected: " + CaIndex.FORMAT + ")");
            }
            return index;
        } catch (IOException e) {
            throw new PkiException(layout.index() + ": cannot be read (" + e.getClass().getSimpleName()
                    + "); restore it from backup", e);
        }
    }

    private void appendToIndex(CaIndex index, IndexEntry entry) throws PkiException {
        List<IndexEntry> entries = new ArrayList<>(index.entries());
        entries.add(entry);
        try {
            SecureFiles.writePublic(layout.index(), Json.write(new CaIndex(CaIndex.FORMAT, index.crlNumber(), entries)));
        } catch (IOException e) {
            throw new PkiException(layout.index() + ": cannot be written (" + e.getMessage() + ")", e);
        }
    }

    /** The key type of the identity's latest certificate, so renew keeps it unless told otherwise. */
    private static KeyType previousKeyType(CaIndex index, NodeIdentity identity) throws PkiException {
        String previous = null;
        for (IndexEntry entry : index.entries()) {
            if (identity.spiffeId().equals(entry.identity())) {
                previous = entry.keyType();
            }
        }
        if (previous == null) {
            return KeyType.EC_P256;
        }
        for (KeyType type : KeyType.values()) {
            if (type.cliName().equals(previous)) {
                return type;
            }
        }
        return KeyType.EC_P256;
    }

    private IndexEntry leafEntry(NodeIdentity identity, X509Certificate leaf, String keyType, String source) {
        return new IndexEntry(Certificates.serialHex(leaf), "leaf", identity.spiffeId(), identity.role().wireName(),
                identity.name(), keyType, intermediate != null ? "intermediate" : "root",
                leaf.getNotBefore().toInstant().toString(), leaf.getNotAfter().toInstant().toString(),
                Certificates.sha256(leaf), clock.instant().truncatedTo(ChronoUnit.SECONDS).toString(), source, null, null);
    }

    private static IndexEntry caEntry(X509Certificate certificate, String kind, String issuer, KeyType keyType,
            Instant now) {
        return new IndexEntry(Certificates.serialHex(certificate), kind, null, null, null, keyType.cliName(), issuer,
                certificate.getNotBefore().toInstant().toString(), certificate.getNotAfter().toInstant().toString(),
                Certificates.sha256(certificate), now.toString(), "init", null, null);
    }

    static String normalizeSerial(String text) throws PkiException {
        String hex = text.trim().toLowerCase(Locale.ROOT).replace(":", "");
        if (hex.startsWith("0x")) {
            hex = hex.substring(2);
        }
        if (hex.isEmpty() || !hex.matches("[0-9a-f]+")) {
            throw new PkiException("--serial: '" + text + "' (expected: hexadecimal, e.g. 4f3a...; colons allowed)");
        }
        return new BigInteger(hex, 16).toString(16);
    }

    private static X509Certificate readSingleCertificate(Path file) throws PkiException {
        try {
            return Pem.readCertificatesRequired(file).get(0);
        } catch (PemException e) {
            throw new PkiException(e.getMessage() + "; the CA directory is damaged, restore it from backup", e);
        }
    }

    /** Distinguishes this CA's names from an earlier or later CA of the same trust domain (rollover). */
    private static String shortId() {
        byte[] bytes = new byte[4];
        new java.security.SecureRandom().nextBytes(bytes);
        return java.util.HexFormat.of().withUpperCase().formatHex(bytes);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static void deleteRecursively(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (var walk = Files.walk(path)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // leftovers of a failed init are hidden (.ca-init-*) and harmless
                }
            });
        } catch (IOException ignored) {
            // as above
        }
    }
}
