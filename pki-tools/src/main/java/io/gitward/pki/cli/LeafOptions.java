package io.gitward.pki.cli;

import io.gitward.pki.KeyType;
import io.gitward.pki.PkiException;
import io.gitward.pki.SubjectAltNames;
import io.gitward.pki.Ttl;
import io.gitward.security.identity.Role;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Identity, lifetime and SAN options of the commands that produce a node certificate. */
final class LeafOptions {
    @Option(names = "--role", required = true, paramLabel = "ROLE",
            description = "client, proxy, storage, coordinator, admin, auditor or edge.")
    String role;

    @Option(names = "--name", required = true, paramLabel = "NAME", description = "Node name, 1 to 63 of [a-z0-9-].")
    String name;

    @Option(names = "--ttl", defaultValue = "24h", paramLabel = "TTL",
            description = "Lifetime, e.g. 90s, 24h, 30d (default: 24h).")
    String ttl;

    @Option(names = "--dns", paramLabel = "HOST", description = "Extra DNS SAN (repeatable).")
    List<String> dns = new ArrayList<>();

    @Option(names = "--ip", paramLabel = "ADDR", description = "Extra IP SAN (repeatable).")
    List<String> ips = new ArrayList<>();

    @Option(names = "--no-local-sans", description = "Leave out the default localhost, 127.0.0.1 and ::1 SANs.")
    boolean noLocalSans;

    Role role() throws PkiException {
        return parseRole(role);
    }

    Duration ttl() throws PkiException {
        return Ttl.parse("--ttl", ttl);
    }

    SubjectAltNames altNames() throws PkiException {
        return SubjectAltNames.of(!noLocalSans, dns, ips);
    }

    static Role parseRole(String value) throws PkiException {
        return Role.fromWireName(value).orElseThrow(() -> new PkiException("--role: '" + value
                + "' is not a role (expected one of: "
                + Role.allWireNames() + ")"));
    }

    static KeyType keyType(String value) throws PkiException {
        return KeyType.parse(value);
    }
}
