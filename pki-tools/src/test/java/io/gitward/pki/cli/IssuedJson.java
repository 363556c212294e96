package io.gitward.pki.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gitward.security.x509.Certificates;
import io.gitward.security.x509.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

/** The {@code --json} object of {@code pki issue|sign|renew}: exactly these keys, and files that exist. */
final class IssuedJson {
    static final Set<String> KEYS = new TreeSet<>(Set.of("identity", "role", "name", "trust_domain", "serial", "not_before",
            "not_after", "sha256", "key_type", "files"));
    static final Set<String> FILE_KEYS = new TreeSet<>(Set.of("key", "certificate", "chain", "roots", "crl"));

    private IssuedJson() {
    }

    /**
     * Checks the object against the schema and against the certificate it names.
     *
     * @param withKey whether {@code files.key} is a path (issue, renew) or null (sign)
     * @return the certificate in {@code files.certificate}
     */
    static X509Certificate assertIssued(JsonNode json, TestCa ca, String role, String name, String keyType, boolean withKey)
            throws Exception {
        assertEquals(KEYS, fieldNames(json), json::toPrettyString);
        JsonNode files = json.get("files");
        assertEquals(FILE_KEYS, fieldNames(files), json::toPrettyString);
        assertEquals(TestCa.spiffeId(role, name), json.get("identity").asText());
        assertEquals(role, json.get("role").asText());
        assertEquals(name, json.get("name").asText());
        assertEquals(TestCa.TRUST_DOMAIN, json.get("trust_domain").asText());
        assertEquals(keyType, json.get("key_type").asText());
        if (withKey) {
            assertEquals(ca.key(role, name).toAbsolutePath().toString(), files.get("key").asText());
        } else {
            assertTrue(files.get("key").isNull(), () -> "files.key must be null when the key stayed on the node: " + json);
        }
        assertEquals(ca.cert(role, name).toAbsolutePath().toString(), files.get("certificate").asText());
        assertEquals(ca.chain(role, name).toAbsolutePath().toString(), files.get("chain").asText());
        assertEquals(ca.roots().toAbsolutePath().toString(), files.get("roots").asText());
        assertEquals(ca.crl().toAbsolutePath().toString(), files.get("crl").asText());
        for (String key : FILE_KEYS) {
            if (!files.get(key).isNull()) {
                Path file = Path.of(files.get(key).asText());
                assertTrue(file.isAbsolute() && Files.isRegularFile(file), () -> "files." + key + " does not exist: " + file);
            }
        }
        X509Certificate certificate = Pem.readCertificatesRequired(Path.of(files.get("certificate").asText())).get(0);
        assertEquals(Certificates.serialHex(certificate), json.get("serial").asText());
        assertEquals(Certificates.sha256(certificate), json.get("sha256").asText());
        assertEquals(certificate.getNotBefore().toInstant().toString(), json.get("not_before").asText());
        assertEquals(certificate.getNotAfter().toInstant().toString(), json.get("not_after").asText());
        assertEquals(certificate, Pem.readCertificatesRequired(Path.of(files.get("chain").asText())).get(0),
                "chain.pem starts with the leaf");
        return certificate;
    }

    static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new TreeSet<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
            names.add(it.next());
        }
        return names;
    }
}
