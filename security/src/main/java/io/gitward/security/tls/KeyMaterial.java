package io.gitward.security.tls;

import static java.util.Objects.requireNonNull;

import io.gitward.security.files.SecureFiles;
import io.gitward.security.identity.CertificateIdentities;
import io.gitward.security.identity.IdentityMode;
import io.gitward.security.identity.InvalidIdentityException;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.x509.Certificates;
import io.gitward.security.x509.KeyPairs;
import io.gitward.security.x509.Pem;
import io.gitward.security.x509.PemException;
import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A node's own key and certificate chain, proven to belong together at construction. Immutable: a
 * rotation loads a new instance. {@link #toString()} never includes the key.
 */
public final class KeyMaterial {
    private final PrivateKey key;
    private final List<X509Certificate> chain;
    private final NodeIdentity identity;

    private KeyMaterial(PrivateKey key, List<X509Certificate> chain, NodeIdentity identity) {
        this.key = key;
        this.chain = List.copyOf(chain);
        this.identity = identity;
    }

    /**
     * Reads and checks a key (owner-only permissions) and its chain (leaf first).
     *
     * @throws KeyMaterialException naming the file and what is wrong
     */
    public static KeyMaterial load(Path keyFile, Path chainFile) throws KeyMaterialException {
        return load(keyFile, chainFile, IdentityMode.URI_SAN);
    }

    /** As above, reading this node's own identity the way peers are read ({@code security.trust.identity-mode}). */
    public static KeyMaterial load(Path keyFile, Path chainFile, IdentityMode mode) throws KeyMaterialException {
        requireNonNull(keyFile, "keyFile");
        requireNonNull(chainFile, "chainFile");
        PrivateKey key;
        List<X509Certificate> chain;
        try {
            SecureFiles.requireOwnerOnly(keyFile);
            key = Pem.readPrivateKey(keyFile, null);
            chain = Pem.readCertificatesRequired(chainFile);
        } catch (IOException | PemException e) {
            throw new KeyMaterialException(e.getMessage());
        }
        return of(key, chain, keyFile + " / " + chainFile, mode);
    }

    public static KeyMaterial of(PrivateKey key, List<X509Certificate> chain, String source) throws KeyMaterialException {
        return of(key, chain, source, IdentityMode.URI_SAN);
    }

    public static KeyMaterial of(PrivateKey key, List<X509Certificate> chain, String source, IdentityMode mode)
            throws KeyMaterialException {
        if (chain.isEmpty()) {
            throw new KeyMaterialException(source + ": no certificate");
        }
        X509Certificate leaf = chain.get(0);
        if (!KeyPairs.matches(key, leaf.getPublicKey())) {
            throw new KeyMaterialException(source + ": the key does not match certificate " + Certificates.describe(leaf)
                    + " (a half-finished rotation? write the key and chain together)");
        }
        NodeIdentity identity;
        try {
            identity = CertificateIdentities.identityOf(leaf, mode);
        } catch (InvalidIdentityException e) {
            throw new KeyMaterialException(source + ": " + e.getMessage());
        }
        return new KeyMaterial(key, chain, identity);
    }

    PrivateKey key() {
        return key;
    }

    public List<X509Certificate> chain() {
        return chain;
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    public NodeIdentity identity() {
        return identity;
    }

    /** The same key and the same chain, certificate for certificate (e.g. the files were published again as they were). */
    public boolean sameAs(KeyMaterial other) {
        return other != null && chain.equals(other.chain) && java.util.Arrays.equals(key.getEncoded(), other.key.getEncoded());
    }

    @Override
    public String toString() {
        return identity + " (serial " + Certificates.serialHex(leaf()) + ")";
    }
}
