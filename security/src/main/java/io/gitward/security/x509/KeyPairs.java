package io.gitward.security.x509;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;

/** Proves that a private key belongs to a certificate, by signing a random challenge and verifying it. */
public final class KeyPairs {
    private static final SecureRandom RANDOM = new SecureRandom();

    private KeyPairs() {
    }

    public static boolean matches(PrivateKey privateKey, PublicKey publicKey) {
        String algorithm = signatureAlgorithm(privateKey);
        if (algorithm == null || !compatible(privateKey, publicKey)) {
            return false;
        }
        byte[] challenge = new byte[32];
        RANDOM.nextBytes(challenge);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(privateKey);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static boolean compatible(PrivateKey privateKey, PublicKey publicKey) {
        return (privateKey instanceof RSAKey) == (publicKey instanceof RSAKey)
                && (privateKey instanceof ECKey) == (publicKey instanceof ECKey);
    }

    private static String signatureAlgorithm(PrivateKey key) {
        if (key instanceof RSAKey) {
            return "SHA256withRSA";
        }
        if (key instanceof ECKey) {
            return "SHA256withECDSA";
        }
        String algorithm = key.getAlgorithm();
        if ("EdDSA".equals(algorithm) || "Ed25519".equals(algorithm) || "Ed448".equals(algorithm)) {
            return "EdDSA";
        }
        return null;
    }
}
