package io.gitward.security.x509;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;

/** Small, stable renderings of certificates for messages, JSON and metrics. */
public final class Certificates {
    public static final String OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    public static final String OID_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int KEY_USAGE_DIGITAL_SIGNATURE = 0;

    private Certificates() {
    }

    /** Lower-case hex without leading zeros, as openssl prints serials (minus the colons). */
    public static String serialHex(BigInteger serial) {
        return serial.toString(16);
    }

    public static String serialHex(X509Certificate certificate) {
        return serialHex(certificate.getSerialNumber());
    }

    /** SHA-256 over the DER encoding, lower-case hex. */
    public static String sha256(X509Certificate certificate) {
        try {
            return sha256(certificate.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("certificate cannot be encoded", e);
        }
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Subject and serial: enough for an operator to find the certificate, nothing secret. */
    public static String describe(X509Certificate certificate) {
        return "'" + certificate.getSubjectX500Principal().getName() + "' (serial " + serialHex(certificate) + ")";
    }

    public static boolean hasExtendedKeyUsage(X509Certificate certificate, String oid) {
        try {
            List<String> usages = certificate.getExtendedKeyUsage();
            return usages != null && usages.contains(oid);
        } catch (java.security.cert.CertificateParsingException e) {
            return false;
        }
    }

    /** True when the key usage extension is absent (any usage) or grants digitalSignature. */
    public static boolean allowsDigitalSignature(X509Certificate certificate) {
        boolean[] keyUsage = certificate.getKeyUsage();
        return keyUsage == null || (keyUsage.length > KEY_USAGE_DIGITAL_SIGNATURE
                && keyUsage[KEY_USAGE_DIGITAL_SIGNATURE]);
    }

    public static boolean isCa(X509Certificate certificate) {
        return certificate.getBasicConstraints() != -1;
    }
}
