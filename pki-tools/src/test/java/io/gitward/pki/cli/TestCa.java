package io.gitward.pki.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gitward.security.x509.Pem;
import io.gitward.security.x509.PemException;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/** A CA made by {@code gitward pki init} in a test directory: the paths of its files and short-hands for commands. */
record TestCa(Path dir) {
    static final String TRUST_DOMAIN = "cell-1.gitward";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Runs {@code pki init --dir DIR --trust-domain cell-1.gitward EXTRA...}, which must succeed. */
    static TestCa init(Path dir, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("init", "--dir", dir.toString(), "--trust-domain", TRUST_DOMAIN));
        args.addAll(List.of(extraArgs));
        CliRunner.run(args).assertExit(0);
        return new TestCa(dir);
    }

    static String spiffeId(String role, String name) {
        return "spiffe://" + TRUST_DOMAIN + "/" + role + "/" + name;
    }

    /** The arguments of {@code pki COMMAND --dir DIR ARGS...}. */
    List<String> command(String command, String... args) {
        List<String> all = new ArrayList<>(List.of(command, "--dir", dir.toString()));
        all.addAll(List.of(args));
        return all;
    }

    /** {@code pki COMMAND --dir DIR ARGS...}, whatever its outcome. */
    CliRunner.Result run(String command, String... args) {
        return CliRunner.run(command(command, args));
    }

    /** {@code pki COMMAND --dir DIR ARGS...}, which must exit 0. */
    CliRunner.Result ok(String command, String... args) {
        return run(command, args).assertExit(0);
    }

    /** Issues {@code role/name} and returns the {@code --json} output. */
    JsonNode issue(String role, String name, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("--role", role, "--name", name, "--json"));
        args.addAll(List.of(extraArgs));
        return ok("issue", args.toArray(new String[0])).json();
    }

    Path caFile(String name) {
        return dir.resolve("ca").resolve(name);
    }

    Path roots() {
        return caFile("roots.pem");
    }

    Path crl() {
        return caFile("crl.pem");
    }

    Path index() {
        return caFile("index.json");
    }

    Path nodeDir(String role, String name) {
        return dir.resolve("nodes").resolve(role).resolve(name);
    }

    Path key(String role, String name) {
        return nodeDir(role, name).resolve("key.pem");
    }

    Path cert(String role, String name) {
        return nodeDir(role, name).resolve("cert.pem");
    }

    Path chain(String role, String name) {
        return nodeDir(role, name).resolve("chain.pem");
    }

    X509Certificate certificate(String role, String name) throws PemException {
        return Pem.readCertificatesRequired(cert(role, name)).get(0);
    }

    X509Certificate rootCertificate() throws PemException {
        return Pem.readCertificatesRequired(caFile("root-cert.pem")).get(0);
    }

    X509Certificate intermediateCertificate() throws PemException {
        return Pem.readCertificatesRequired(caFile("intermediate-cert.pem")).get(0);
    }

    /** The CRLs in {@code ca/crl.pem}: the issuing CA's first, then the root's when there is an intermediate. */
    List<X509CRL> crls() throws PemException {
        return Pem.readCrls(crl());
    }

    JsonNode indexJson() throws IOException {
        return JSON.readTree(index().toFile());
    }

    JsonNode metadataJson() throws IOException {
        return JSON.readTree(caFile("ca.json").toFile());
    }

    /** The index entry with {@code serial}, or null. */
    JsonNode indexEntry(String serial) throws IOException {
        for (JsonNode entry : indexJson().get("entries")) {
            if (entry.get("serial").asText().equals(serial)) {
                return entry;
            }
        }
        return null;
    }
}
