package io.gitward.security.x509;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.operator.InputDecryptorProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;

/**
 * Reads and writes the PEM files Gitward uses. Certificates and CRLs come back as JDK objects so that
 * JDK and BoringSSL TLS stacks accept them. Errors name the file; key bytes never appear in a message.
 */
public final class Pem {
    private static final int LINE_LENGTH = 64;

    private Pem() {
    }

    public static List<X509Certificate> readCertificates(Path file) throws PemException {
        List<X509Certificate> certificates = new ArrayList<>();
        for (Object object : readObjects(file, null)) {
            if (object instanceof X509CertificateHolder holder) {
                certificates.add(toJdk(holder, file));
            }
        }
        return certificates;
    }

    /** Reads a file that must hold at least one certificate. */
    public static List<X509Certificate> readCertificatesRequired(Path file) throws PemException {
        List<X509Certificate> certificates = readCertificates(file);
        if (certificates.isEmpty()) {
            throw new PemException(file + ": holds no PEM certificate (expected '-----BEGIN CERTIFICATE-----')");
        }
        return certificates;
    }

    public static List<X509CRL> readCrls(Path file) throws PemException {
        List<X509CRL> crls = new ArrayList<>();
        for (Object object : readObjects(file, null)) {
            if (object instanceof X509CRLHolder holder) {
                try {
                    crls.add((X509CRL) factory().generateCRL(new ByteArrayInputStream(holder.getEncoded())));
                } catch (IOException | GeneralSecurityException e) {
                    throw new PemException(file + ": CRL cannot be parsed: " + e.getMessage());
                }
            }
        }
        if (crls.isEmpty()) {
            throw new PemException(file + ": holds no PEM CRL (expected '-----BEGIN X509 CRL-----')");
        }
        return crls;
    }

    public static PKCS10CertificationRequest readCsr(Path file) throws PemException {
        for (Object object : readObjects(file, null)) {
            if (object instanceof PKCS10CertificationRequest csr) {
                return csr;
            }
        }
        throw new PemException(file + ": holds no PEM certificate request (expected '-----BEGIN CERTIFICATE REQUEST-----')");
    }

    /**
     * Reads a private key (PKCS#8, PKCS#1 RSA, SEC1 EC, or passphrase-encrypted PKCS#8).
     *
     * @param passphrase the passphrase for an encrypted key, or null
     */
    public static PrivateKey readPrivateKey(Path file, char[] passphrase) throws PemException {
        List<Object> objects = readObjects(file, passphrase);
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        for (Object object : objects) {
            try {
                if (object instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (object instanceof PEMKeyPair pair) {
                    return converter.getKeyPair(pair).getPrivate();
                }
                if (object instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
                    if (passphrase == null) {
                        throw new PemException(file + ": key is passphrase-protected (pass the passphrase file)");
                    }
                    InputDecryptorProvider decryptor = new JceOpenSSLPKCS8DecryptorProviderBuilder()
                            .setProvider(BouncyCastleHolder.provider()).build(passphrase);
                    return converter.getPrivateKey(encrypted.decryptPrivateKeyInfo(decryptor));
                }
                if (object instanceof PEMEncryptedKeyPair) {
                    throw new PemException(file + ": legacy OpenSSL-encrypted keys are not supported"
                            + " (convert with: openssl pkcs8 -topk8 -v2 aes-256-cbc)");
                }
            } catch (PKCSException e) {
                throw new PemException(file + ": wrong passphrase, or the key is damaged");
            } catch (OperatorCreationException | IOException e) {
                throw new PemException(file + ": private key cannot be decoded (" + e.getClass().getSimpleName() + ")");
            }
        }
        throw new PemException(file + ": holds no PEM private key (expected '-----BEGIN PRIVATE KEY-----')");
    }

    public static String encode(String type, byte[] der) {
        String base64 = Base64.getMimeEncoder(LINE_LENGTH, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n";
    }

    public static String encodeCertificates(List<X509Certificate> certificates) {
        StringBuilder out = new StringBuilder();
        for (X509Certificate certificate : certificates) {
            try {
                out.append(encode("CERTIFICATE", certificate.getEncoded()));
            } catch (java.security.cert.CertificateEncodingException e) {
                throw new IllegalStateException("certificate cannot be encoded", e);
            }
        }
        return out.toString();
    }

    public static String encodeCrl(X509CRL crl) {
        try {
            return encode("X509 CRL", crl.getEncoded());
        } catch (java.security.cert.CRLException e) {
            throw new IllegalStateException("CRL cannot be encoded", e);
        }
    }

    public static X509Certificate toJdk(X509CertificateHolder holder, Path source) throws PemException {
        try {
            return (X509Certificate) factory().generateCertificate(new ByteArrayInputStream(holder.getEncoded()));
        } catch (IOException | CertificateException e) {
            throw new PemException(source + ": certificate cannot be parsed: " + e.getMessage());
        }
    }

    public static X509Certificate parseCertificate(byte[] der) throws CertificateException {
        return (X509Certificate) factory().generateCertificate(new ByteArrayInputStream(der));
    }

    public static List<X509Certificate> parseCertificates(String pem, String source) throws PemException {
        List<X509Certificate> certificates = new ArrayList<>();
        for (Object object : parseObjects(new StringReader(pem), source, null)) {
            if (object instanceof X509CertificateHolder holder) {
                certificates.add(toJdk(holder, Path.of(source)));
            }
        }
        return certificates;
    }

    private static List<Object> readObjects(Path file, char[] passphrase) throws PemException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new PemException(file + ": no such file");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new PemException(file + ": not a PEM file (binary content; convert DER with openssl)");
        } catch (IOException e) {
            throw new PemException(file + ": cannot be read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
        return parseObjects(new StringReader(text), file.toString(), passphrase);
    }

    private static List<Object> parseObjects(Reader reader, String source, char[] passphrase) throws PemException {
        List<Object> objects = new ArrayList<>();
        try (PEMParser parser = new PEMParser(reader)) {
            Object object;
            while ((object = parser.readObject()) != null) {
                objects.add(object);
            }
        } catch (IOException | RuntimeException e) {
            // BouncyCastle messages may quote decoded bytes; keep only the kind of failure.
            throw new PemException(source + ": malformed PEM (" + e.getClass().getSimpleName() + ")");
        }
        return objects;
    }

    private static CertificateFactory factory() throws CertificateException {
        return CertificateFactory.getInstance("X.509");
    }
}
