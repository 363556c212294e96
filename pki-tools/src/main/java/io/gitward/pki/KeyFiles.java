package io.gitward.pki;

import io.gitward.security.files.SecureFiles;
import io.gitward.security.x509.BouncyCastleHolder;
import io.gitward.security.x509.Pem;
import io.gitward.security.x509.PemException;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import java.util.Arrays;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;

/** Private-key files: PKCS#8 PEM, 0600 from the first byte, optionally encrypted (AES-256-CBC, PBKDF2-SHA256). */
public final class KeyFiles {
    private static final int PBKDF2_ITERATIONS = 200_000;

    private KeyFiles() {
    }

    /** PEM text of the key, encrypted when {@code passphrase} is given. Never logged. */
    public static byte[] encode(PrivateKey key, char[] passphrase) throws PkiException {
        if (passphrase == null) {
            return Pem.encode("PRIVATE KEY", pkcs8(key)).getBytes(StandardCharsets.US_ASCII);
        }
        try {
            OutputEncryptor encryptor = new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                    .setProvider(BouncyCastleHolder.provider())
                    .setPRF(PKCS8Generator.PRF_HMACSHA256)
                    .setIterationCount(PBKDF2_ITERATIONS)
                    .setPassword(passphrase)
                    .build();
            StringWriter out = new StringWriter();
            try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
                writer.writeObject(new JcaPKCS8Generator(key, encryptor));
            }
            return out.toString().getBytes(StandardCharsets.US_ASCII);
        } catch (OperatorCreationException | IOException e) {
            throw new PkiException("cannot encrypt the private key: " + e.getMessage(), e);
        }
    }

    /**
     * The key's PKCS#8 encoding. EC keys carry their public point too, as OpenSSL writes them: the JDK leaves it
     * out, and GnuTLS (the TLS library of Debian's {@code git} and curl builds) refuses EC keys without it.
     */
    static byte[] pkcs8(PrivateKey key) throws PkiException {
        if (!(key instanceof ECPrivateKey ec)) {
            return key.getEncoded();
        }
        try {
            PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
            AlgorithmIdentifier algorithm = info.getPrivateKeyAlgorithm();
            X9ECParameters curve = ECNamedCurveTable.getByOID(ASN1ObjectIdentifier.getInstance(algorithm.getParameters()));
            if (curve == null) {
                return key.getEncoded();
            }
            ECPoint publicPoint = new FixedPointCombMultiplier().multiply(curve.getG(), ec.getS()).normalize();
            org.bouncycastle.asn1.sec.ECPrivateKey withPublicKey = new org.bouncycastle.asn1.sec.ECPrivateKey(
                    curve.getN().bitLength(), ec.getS(), new DERBitString(publicPoint.getEncoded(false)), null);
            return new PrivateKeyInfo(algorithm, withPublicKey).getEncoded(ASN1Encoding.DER);
        } catch (IOException | IllegalArgumentException e) {
            throw new PkiException("cannot encode the private key: " + e.getClass().getSimpleName(), e);
        }
    }

    /**
     * Reads a key after checking that only its owner can read it.
     *
     * @throws PkiException naming the file when it is missing, too open, encrypted without a passphrase or damaged
     */
    public static PrivateKey read(Path file, char[] passphrase) throws PkiException {
        try {
            SecureFiles.requireOwnerOnly(file);
            return Pem.readPrivateKey(file, passphrase);
        } catch (IOException e) {
            throw new PkiException(e.getMessage(), e);
        } catch (PemException e) {
            throw new PkiException(e.getMessage(), e);
        }
    }

    /** Reads a passphrase file: its first line, without the line break. */
    public static char[] readPassphrase(Path file) throws PkiException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new PkiException("--passphrase-file " + file + ": cannot be read (" + e.getClass().getSimpleName() + ")");
        }
        int end = 0;
        while (end < bytes.length && bytes[end] != '\n' && bytes[end] != '\r') {
            end++;
        }
        char[] passphrase = new String(bytes, 0, end, StandardCharsets.UTF_8).toCharArray();
        Arrays.fill(bytes, (byte) 0);
        if (passphrase.length == 0) {
            throw new PkiException("--passphrase-file " + file + ": the passphrase is empty (expected: a non-empty first line)");
        }
        return passphrase;
    }

    /** Writes a key file with owner-only permissions. */
    public static void write(Path file, PrivateKey key, char[] passphrase) throws PkiException {
        try {
            SecureFiles.writePrivate(file, encode(key, passphrase));
        } catch (IOException e) {
            throw new PkiException(file + ": cannot be written (" + e.getMessage() + ")", e);
        }
    }
}
