package io.gitward.pki.cli;

import io.gitward.pki.CertificateProfiles;
import io.gitward.pki.KeyFiles;
import io.gitward.pki.KeyType;
import io.gitward.pki.PkiException;
import io.gitward.pki.SubjectAltNames;
import io.gitward.security.files.SecureFiles;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.x509.Pem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "csr", mixinStandardHelpOptions = true,
        description = "On the node: make a key (0600) and a certificate request for the CA to sign.")
final class CsrCommand implements Callable<Integer> {
    @Option(names = "--key-out", required = true, paramLabel = "FILE", description = "Where to write the new private key.")
    Path keyOut;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the request (PEM).")
    Path out;

    @Option(names = "--role", required = true, paramLabel = "ROLE")
    String role;

    @Option(names = "--name", required = true, paramLabel = "NAME")
    String name;

    @Option(names = "--trust-domain", required = true, paramLabel = "TD")
    String trustDomain;

    @Option(names = "--key-type", defaultValue = "ec-p256", paramLabel = "TYPE",
            description = "ec-p256 (default), ed25519 or rsa-3072.")
    String keyType;

    @Option(names = "--dns", paramLabel = "HOST", description = "Extra DNS SAN to request (repeatable).")
    List<String> dns = new ArrayList<>();

    @Option(names = "--ip", paramLabel = "ADDR", description = "Extra IP SAN to request (repeatable).")
    List<String> ips = new ArrayList<>();

    @Option(names = "--force", description = "Replace an existing key file.")
    boolean force;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws PkiException {
        TrustDomain domain;
        try {
            domain = TrustDomain.of(trustDomain);
        } catch (IllegalArgumentException e) {
            throw new PkiException("--trust-domain: " + e.getMessage());
        }
        if (NodeIdentity.nameProblem(name) != null) {
            throw new PkiException("--name: '" + name + "' (expected: 1 to 63 of [a-z0-9-])");
        }
        NodeIdentity identity = new NodeIdentity(domain, LeafOptions.parseRole(role), name);
        KeyType type = KeyType.parse(keyType);
        SubjectAltNames altNames = SubjectAltNames.of(true, dns, ips);
        if (!force && Files.exists(keyOut, LinkOption.NOFOLLOW_LINKS)) {
            throw new PkiException("--key-out " + keyOut + ": exists; pass --force to replace it or choose another path");
        }
        Path outDirectory = out.toAbsolutePath().normalize().getParent();
        Path keyDirectory = keyOut.toAbsolutePath().normalize().getParent();
        if (!Files.isDirectory(outDirectory) && !keyDirectory.startsWith(outDirectory)) {
            throw new PkiException("--out " + out + ": directory " + outDirectory + " does not exist");
        }
        KeyPair keys = type.generate();
        PKCS10CertificationRequest request = CertificateProfiles.csr(identity, keys, type, altNames);
        try {
            Path parent = keyOut.toAbsolutePath().getParent();
            SecureFiles.createDirectories(parent, SecureFiles.OWNER_ONLY_DIRECTORY);
            SecureFiles.writePublic(out, Pem.encode("CERTIFICATE REQUEST", request.getEncoded()));
            KeyFiles.write(keyOut, keys.getPrivate(), null);
        } catch (IOException e) {
            throw new PkiException(out + ": cannot be written (" + e.getMessage() + ")", e);
        }
        spec.commandLine().getOut().printf("wrote key %s (0600) and request %s for %s%n", keyOut, out, identity);
        return 0;
    }
}
