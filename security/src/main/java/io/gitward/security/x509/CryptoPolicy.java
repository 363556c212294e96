package io.gitward.security.x509;

import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;
import java.util.Map;
import java.util.Set;

/**
 * Minimum key sizes and allowed signature algorithms: RSA ≥ 2048, EC on P-256/P-384/P-521,
 * Ed25519/Ed448; signatures with SHA-256 or stronger (never SHA-1 or MD5).
 */
public final class CryptoPolicy {
    public static final int MIN_RSA_BITS = 2048;

    private static final Set<String> ALLOWED_SIGNATURE_OIDS = Set.of(
            "1.2.840.113549.1.1.11", // sha256WithRSAEncryption
            "1.2.840.113549.1.1.12", // sha384WithRSAEncryption
            "1.2.840.113549.1.1.13", // sha512WithRSAEncryption
            "1.2.840.113549.1.1.10", // RSASSA-PSS
            "1.2.840.10045.4.3.2", // ecdsa-with-SHA256
            "1.2.840.10045.4.3.3", // ecdsa-with-SHA384
            "1.2.840.10045.4.3.4", // ecdsa-with-SHA512
            "1.3.101.112", // Ed25519
            "1.3.101.113"); // Ed448

    /** Field size in bits to curve name, for the curves TLS stacks here agree on. */
    private static final Map<Integer, String> ALLOWED_EC_FIELD_BITS = Map.of(256, "P-256", 384, "P-384", 521, "P-521");

    private CryptoPolicy() {
    }

    /** Returns why the key is too weak, or null when it is acceptable. */
    public static String keyProblem(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            return bits < MIN_RSA_BITS ? "RSA-" + bits + " key (expected: RSA ≥ " + MIN_RSA_BITS + ", EC P-256+ or Ed25519)"
                    : null;
        }
        if (key instanceof ECPublicKey ec) {
            ECParameterSpec params = ec.getParams();
            int bits = params.getCurve().getField().getFieldSize();
            boolean primeCurve = params.getCurve().getField() instanceof java.security.spec.ECFieldFp;
            if (!primeCurve || !ALLOWED_EC_FIELD_BITS.containsKey(bits) || params.getCofactor() != 1) {
                return "EC key on a " + bits + "-bit curve that is not P-256, P-384 or P-521";
            }
            return null;
        }
        if (key instanceof EdECPublicKey) {
            return null;
        }
        String algorithm = key.getAlgorithm();
        return algorithm + " key (expected: RSA ≥ " + MIN_RSA_BITS + ", EC P-256+ or Ed25519)";
    }

    /** Returns why the signature algorithm is refused, or null when it is allowed. */
    public static String signatureProblem(String signatureOid, String signatureName) {
        return ALLOWED_SIGNATURE_OIDS.contains(signatureOid) ? null
                : "signature algorithm " + signatureName + " (" + signatureOid
                + ") is not allowed (expected: SHA-256 or stronger with RSA/ECDSA, or Ed25519)";
    }

    /** Human name of a key for messages and JSON: "ec-p256", "rsa-3072", "ed25519". */
    public static String keyDescription(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            return "rsa-" + rsa.getModulus().bitLength();
        }
        if (key instanceof ECPublicKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            String curve = ALLOWED_EC_FIELD_BITS.get(bits);
            return curve == null ? "ec-" + bits : "ec-" + curve.toLowerCase(java.util.Locale.ROOT).replace("-", "");
        }
        if (key instanceof EdECPublicKey edwards) {
            return edwards.getParams().getName().toLowerCase(java.util.Locale.ROOT);
        }
        return key.getAlgorithm().toLowerCase(java.util.Locale.ROOT);
    }
}
