package io.gitward.bench;

import io.gitward.pki.CaLayout;
import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.KeyType;
import io.gitward.pki.SubjectAltNames;
import io.gitward.security.identity.IdentityMode;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.server.ListenAddress;
import io.gitward.security.tls.HandshakeFailures;
import io.gitward.security.tls.KeyMaterial;
import io.gitward.security.tls.NodeCredentials;
import io.gitward.security.tls.TlsContexts;
import io.gitward.security.tls.TlsProvider;
import io.gitward.security.tls.TrustState;
import io.gitward.security.x509.RevocationPolicy;
import io.gitward.security.x509.TrustBundles;
import io.gitward.security.x509.TrustMaterial;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A throwaway CA for in-JVM benchmarks: node configs at phase 6 (mTLS, authorization enforced) and client
 * channels that present a certificate of any role and pin the server's identity.
 */
final class BenchPki {
    static final String TRUST_DOMAIN = "bench.gitward";

    private final CertificateAuthority ca;
    private final TrustState trust;

    private BenchPki(CertificateAuthority ca, TrustState trust) {
        this.ca = ca;
        this.trust = trust;
    }

    static BenchPki create(Path dir) throws Exception {
        CertificateAuthority ca = CertificateAuthority.init(dir, new CertificateAuthority.InitOptions(
                TrustDomain.of(TRUST_DOMAIN), Duration.ofDays(30), KeyType.EC_P256, false, null, Duration.ofDays(1)),
                Clock.systemUTC());
        TrustState trust = new TrustState(new TrustMaterial(List.of(TrustBundles.load(ca.trustDomain(), ca.layout().roots(),
                List.of(ca.layout().crl()), RevocationPolicy.REQUIRE))), IdentityMode.URI_SAN, true, 1);
        return new BenchPki(ca, trust);
    }

    /** Issues the node's certificate and writes its config (phase 6, TLS listener on an ephemeral port). */
    Path nodeConfig(Path dir, Role role, String name, String... extraLines) throws Exception {
        issue(role, name);
        Path nodeDir = ca.layout().nodeDir(role, name);
        List<String> lines = new ArrayList<>(List.of(
                "node.name = " + name,
                "node.data-dir = \"" + dir.resolve(name + "-data") + "\"",
                "listen.grpc-plaintext = null",
                "listen.grpc-tls = \"127.0.0.1:0\"",
                "security.phase = 6",
                "security.trust-domain = " + TRUST_DOMAIN,
                "security.tls.key = \"" + CaLayout.key(nodeDir) + "\"",
                "security.tls.certificate-chain = \"" + CaLayout.chain(nodeDir) + "\"",
                "security.trust.roots = \"" + ca.layout().roots() + "\"",
                "security.trust.crls = [\"" + ca.layout().crl() + "\"]"));
        lines.addAll(List.of(extraLines));
        Path config = dir.resolve(name + ".conf");
        Files.writeString(config, String.join("\n", lines) + "\n");
        return config;
    }

    /** An mTLS channel (BoringSSL) as {@code role}/{@code name} to a server that must prove {@code server}. */
    ManagedChannel channel(Role role, String name, NodeIdentity server, ListenAddress address) throws Exception {
        KeyMaterial key = issue(role, name);
        NodeCredentials credentials = new NodeCredentials(key, trust, new HandshakeFailures(), Clock.systemUTC());
        return NettyChannelBuilder.forAddress(address.host(), address.port())
                .sslContext(TlsContexts.client(credentials, key, server, TlsProvider.BORINGSSL)).build();
    }

    private KeyMaterial issue(Role role, String name) throws Exception {
        Path dir = ca.layout().nodeDir(role, name);
        if (!Files.exists(CaLayout.certificate(dir))) {
            ca.issue(new CertificateAuthority.LeafRequest(role, name, Duration.ofDays(1), KeyType.EC_P256,
                    SubjectAltNames.LOCAL));
        }
        return KeyMaterial.load(CaLayout.key(dir), CaLayout.chain(dir));
    }

    static NodeIdentity identity(String role, String name) {
        return NodeIdentity.of(TRUST_DOMAIN, role, name);
    }
}
