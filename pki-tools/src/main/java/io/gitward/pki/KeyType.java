package io.gitward.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.ECGenParameterSpec;

/** Key algorithms the CA issues. EC P-256 is the default: fast to generate and fast in handshakes. */
public enum KeyType {
    EC_P256("ec-p256", "SHA256withECDSA"),
    ED25519("ed25519", "Ed25519"),
    RSA_3072("rsa-3072", "SHA256withRSA");

    private final String cliName;
    private final String signatureAlgorithm;

    KeyType(String cliName, String signatureAlgorithm) {
        this.cliName = cliName;
        this.signatureAlgorithm = signatureAlgorithm;
    }

    public String cliName() {
        return cliName;
    }

    /** The JCA signature algorithm a key of this type signs with. */
    public String signatureAlgorithm() {
        return signatureAlgorithm;
    }

    public KeyPair generate() {
        try {
            return switch (this) {
                case EC_P256 -> {
                    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
                    generator.initialize(new ECGenParameterSpec("secp256r1"));
                    yield generator.generateKeyPair();
                }
                case ED25519 -> KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
                case RSA_3072 -> {
                    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                    generator.initialize(3072);
                    yield generator.generateKeyPair();
                }
            };
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot generate " + cliName + " keys", e);
        }
    }

    public static KeyType parse(String value) throws PkiException {
        for (KeyType type : values()) {
            if (type.cliName.equals(value)) {
                return type;
            }
        }
        throw new PkiException("key type: '" + value + "' (expected one of: ec-p256, ed25519, rsa-3072)");
    }

    /** The type of an existing signing key, so CA keys sign with the matching algorithm. */
    public static KeyType of(PrivateKey key) throws PkiException {
        if (key instanceof ECPrivateKey) {
            return EC_P256;
        }
        if (key instanceof EdECPrivateKey || "Ed25519".equals(key.getAlgorithm()) || "EdDSA".equals(key.getAlgorithm())) {
            return ED25519;
        }
        if (key instanceof RSAPrivateKey) {
            return RSA_3072;
        }
        throw new PkiException("unsupported CA key algorithm " + key.getAlgorithm());
    }

    @Override
    public String toString() {
        return cliName;
    }
}
