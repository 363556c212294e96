package io.gitward.pki.cli;

import io.gitward.pki.CaLayout;
import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.IssuedCertificate;
import io.gitward.pki.KeyType;
import io.gitward.pki.PkiException;
import io.gitward.pki.SubjectAltNames;
import io.gitward.pki.Ttl;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.json.Json;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Creates the CA if absent and issues every listed node that has no certificate yet. Safe to run again. */
@Command(name = "bootstrap", mixinStandardHelpOptions = true,
        description = "Create the CA if absent and issue each listed node that has no certificate yet (idempotent).")
final class BootstrapCommand implements Callable<Integer> {
    @Mixin
    CaOptions ca;

    @Option(names = "--trust-domain", required = true, paramLabel = "TD")
    String trustDomain;

    @Option(names = "--node", required = true, paramLabel = "ROLE:NAME", description = "A node to issue (repeatable).")
    List<String> nodes = new ArrayList<>();

    @Option(names = "--ttl", defaultValue = "24h", paramLabel = "TTL", description = "Leaf lifetime (default: 24h).")
    String ttl;

    @Option(names = "--ca-ttl", defaultValue = "10y", paramLabel = "TTL",
            description = "CA lifetime if one is created (default: 10y).")
    String caTtl;

    @Option(names = "--key-type", defaultValue = "ec-p256", paramLabel = "TYPE",
            description = "ec-p256 (default), ed25519 or rsa-3072.")
    String keyType;

    @Option(names = "--intermediate", description = "If a CA is created, sign leaves with an intermediate.")
    boolean intermediate;

    @Option(names = "--json", description = "Print what was created as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The {@code --json} output of bootstrap. */
    record Result(String trustDomain, boolean caCreated, String roots, String crl, List<IssuedCertificate> issued,
            List<String> existing) {
    }

    @Override
    public Integer call() throws PkiException {
        TrustDomain domain;
        try {
            domain = TrustDomain.of(trustDomain);
        } catch (IllegalArgumentException e) {
            throw new PkiException("--trust-domain: " + e.getMessage());
        }
        List<NodeIdentity> identities = new ArrayList<>();
        for (String node : nodes) {
            int colon = node.indexOf(':');
            if (colon <= 0) {
                throw new PkiException("--node: '" + node + "' (expected ROLE:NAME, e.g. storage:storage-1)");
            }
            Role role = LeafOptions.parseRole(node.substring(0, colon));
            String name = node.substring(colon + 1);
            if (NodeIdentity.nameProblem(name) != null) {
                throw new PkiException("--node: '" + node + "': name '" + name + "' (expected: 1 to 63 of [a-z0-9-])");
            }
            identities.add(new NodeIdentity(domain, role, name));
        }
        KeyType type = KeyType.parse(keyType);
        java.time.Duration leafTtl = Ttl.parse("--ttl", ttl);
        CaLayout layout = new CaLayout(ca.dir);
        boolean created = !Files.exists(layout.metadata());
        java.time.Duration caLifetime = Ttl.parse("--ca-ttl", caTtl);
        if (created && leafTtl.compareTo(caLifetime) > 0) {
            throw new PkiException("--ttl " + ttl + " is longer than the CA this would create (--ca-ttl " + caTtl
                    + "); use a shorter --ttl or a longer --ca-ttl");
        }
        CertificateAuthority authority = created
                ? CertificateAuthority.init(ca.dir, new CertificateAuthority.InitOptions(domain, caLifetime,
                        type, intermediate, ca.passphrase(), CertificateAuthority.DEFAULT_CRL_VALIDITY), Clock.systemUTC())
                : ca.open();
        if (!authority.trustDomain().equals(domain)) {
            throw new PkiException("--dir " + ca.dir + " holds a CA for trust domain '" + authority.trustDomain()
                    + "', not '" + domain + "'; use another --dir");
        }
        List<IssuedCertificate> issued = new ArrayList<>();
        List<String> existing = new ArrayList<>();
        for (NodeIdentity identity : identities) {
            if (Files.exists(CaLayout.certificate(layout.nodeDir(identity.role(), identity.name())))) {
                existing.add(identity.spiffeId());
                continue;
            }
            issued.add(authority.issue(new CertificateAuthority.LeafRequest(identity.role(), identity.name(), leafTtl, type,
                    SubjectAltNames.LOCAL)));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.print(Json.write(new Result(domain.name(), created, layout.roots().toString(), layout.crl().toString(), issued,
                    existing)));
        } else {
            out.printf("%s CA for %s in %s%n", created ? "created" : "reused", domain, layout.caDir());
            for (IssuedCertificate certificate : issued) {
                out.printf("issued %s (serial %s) in %s%n", certificate.identity(), certificate.serial(),
                        java.nio.file.Path.of(certificate.files().certificate()).getParent());
            }
            for (String identity : existing) {
                out.printf("kept %s (already issued)%n", identity);
            }
        }
        out.flush();
        return 0;
    }
}
