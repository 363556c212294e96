package io.gitward.pki;

import io.gitward.security.identity.Role;
import java.nio.file.Path;

/**
 * Where a Gitward CA keeps its files (the contract in docs/contracts.md):
 *
 * <pre>
 * DIR/ca/ca.json                  metadata (trust domain, key type, issuing CA, CRL validity)
 * DIR/ca/root-key.pem             root key, 0600, passphrase-encrypted when asked
 * DIR/ca/root-cert.pem            root certificate
 * DIR/ca/intermediate-{key,cert}.pem   issuing intermediate, when initialised with --intermediate
 * DIR/ca/roots.pem                the trust bundle nodes load
 * DIR/ca/crl.pem                  CRLs of every issuing certificate (root, intermediate)
 * DIR/ca/index.json               every issued and revoked serial, and the CRL number
 * DIR/nodes/ROLE/NAME/key.pem     node key, 0600 (absent for CSR-signed certificates)
 * DIR/nodes/ROLE/NAME/cert.pem    node certificate
 * DIR/nodes/ROLE/NAME/chain.pem   leaf then intermediates: what the node presents in a handshake
 * </pre>
 */
public record CaLayout(Path dir) {
    public CaLayout {
        dir = dir.toAbsolutePath().normalize();
    }

    public Path caDir() {
        return dir.resolve("ca");
    }

    public Path metadata() {
        return caDir().resolve("ca.json");
    }

    public Path rootKey() {
        return caDir().resolve("root-key.pem");
    }

    public Path rootCertificate() {
        return caDir().resolve("root-cert.pem");
    }

    public Path intermediateKey() {
        return caDir().resolve("intermediate-key.pem");
    }

    public Path intermediateCertificate() {
        return caDir().resolve("intermediate-cert.pem");
    }

    public Path roots() {
        return caDir().resolve("roots.pem");
    }

    public Path crl() {
        return caDir().resolve("crl.pem");
    }

    public Path index() {
        return caDir().resolve("index.json");
    }

    public Path lock() {
        return caDir().resolve(".lock");
    }

    public Path nodesDir() {
        return dir.resolve("nodes");
    }

    public Path nodeDir(Role role, String name) {
        return nodesDir().resolve(role.wireName()).resolve(name);
    }

    public static Path key(Path nodeDir) {
        return nodeDir.resolve("key.pem");
    }

    public static Path certificate(Path nodeDir) {
        return nodeDir.resolve("cert.pem");
    }

    public static Path chain(Path nodeDir) {
        return nodeDir.resolve("chain.pem");
    }
}
