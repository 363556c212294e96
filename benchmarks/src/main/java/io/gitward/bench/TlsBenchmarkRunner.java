package io.gitward.bench;

import io.gitward.pki.CaLayout;
import io.gitward.pki.CertificateAuthority;
import io.gitward.pki.KeyType;
import io.gitward.pki.SubjectAltNames;
import io.gitward.security.identity.IdentityMode;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.tls.HandshakeFailures;
import io.gitward.security.tls.KeyMaterial;
import io.gitward.security.tls.NodeCredentials;
import io.gitward.security.tls.ReloadableSslContext;
import io.gitward.security.tls.TlsContexts;
import io.gitward.security.tls.TlsProvider;
import io.gitward.security.tls.TrustState;
import io.gitward.security.x509.RevocationPolicy;
import io.gitward.security.x509.TrustBundles;
import io.gitward.security.x509.TrustMaterial;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code gitward bench tls}: what TLS costs on this machine, side by side in one run. Handshakes per second
 * (a new connection per call) for BoringSSL and the JDK, mTLS and one-way TLS, a static context and the
 * reloadable one the nodes use; and the per-call latency on a warm connection for plaintext, TLS and mTLS.
 * Client and server run in this one JVM (single-threaded client), so figures are comparable with each other,
 * not with two-machine numbers.
 */
public final class TlsBenchmarkRunner {
    private final boolean quick;
    private final Path out;

    public TlsBenchmarkRunner(boolean quick, Path out) {
        this.quick = quick;
        this.out = out;
    }

    public int run() throws Exception {
        Path work = Files.createTempDirectory("gitward-bench-tls");
        try {
            CertificateAuthority ca = CertificateAuthority.init(work.resolve("ca"), new CertificateAuthority.InitOptions(
                    TrustDomain.of("bench.gitward"), Duration.ofDays(30), KeyType.EC_P256, false, null, Duration.ofDays(1)),
                    Clock.systemUTC());
            KeyMaterial server = issue(ca, Role.STORAGE, "storage-1");
            KeyMaterial client = issue(ca, Role.PROXY, "proxy-1");
            TrustState trust = new TrustState(new TrustMaterial(List.of(TrustBundles.load(ca.trustDomain(),
                    ca.layout().roots(), List.of(ca.layout().crl()), RevocationPolicy.REQUIRE))), IdentityMode.URI_SAN, true, 1);
            NodeCredentials serverCredentials = new NodeCredentials(server, trust, new HandshakeFailures(), Clock.systemUTC());
            NodeCredentials clientCredentials = new NodeCredentials(client, trust, new HandshakeFailures(), Clock.systemUTC());

            long warmup = quick ? 300 : 2000;
            long measure = quick ? 1000 : 8000;
            StringBuilder report = new StringBuilder("# TLS benchmark\n\nDate: " + LocalDate.now() + "; "
                    + Runtime.getRuntime().availableProcessors() + " cores; " + System.getProperty("java.vm.name") + " "
                    + System.getProperty("java.version") + "; " + TlsProvider.BORINGSSL.describe() + "; mode: "
                    + (quick ? "quick" : "full") + ". Client and server share one JVM; the client is single-threaded.\n\n"
                    + "## TLS handshakes (EC P-256 certificates, the nodes' trust manager)\n\n"
                    + "`in memory`: two engines exchanging buffers, the handshake's CPU cost alone. `gRPC connection`: a new "
                    + "channel per call (TCP, TLS, HTTP/2 setup, one health check, close).\n\n"
                    + "| provider (both sides) | client certificate | context | in memory: handshakes/s | p50 ms | p99 ms "
                    + "| gRPC connection: per s | p50 ms | p99 ms |\n"
                    + "|---|---|---|---:|---:|---:|---:|---:|---:|\n");
            for (TlsProvider provider : TlsProvider.values()) {
                for (ClientAuth auth : List.of(ClientAuth.REQUIRE, ClientAuth.NONE)) {
                    for (boolean reloadable : List.of(false, true)) {
                        if (!reloadable && auth == ClientAuth.NONE) {
                            continue;
                        }
                        SslContext context = TlsContexts.server(serverCredentials, server, auth, provider);
                        SslContext serverContext = reloadable ? new ReloadableSslContext(context) : context;
                        SslContext clientContext = TlsContexts.client(clientCredentials, auth == ClientAuth.NONE ? null : client,
                                server.identity(), provider);
                        LatencyRecorder.Result memory = LatencyRecorder.measure(() -> InMemoryHandshake.run(clientContext,
                                serverContext), warmup, measure, 1_000_000);
                        Server grpc = start(NettyServerBuilder.forPort(0).sslContext(serverContext));
                        try {
                            LatencyRecorder.Result result = LatencyRecorder.measure(() -> {
                                ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.getPort())
                                        .sslContext(clientContext).build();
                                try {
                                    HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                                            .check(HealthCheckRequest.getDefaultInstance());
                                } finally {
                                    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                                }
                            }, warmup, measure, 100_000);
                            String clientCertificate = auth == ClientAuth.NONE ? "none (one-way)" : "yes (mTLS)";
                            report.append(String.format(Locale.ROOT,
                                    "| %s | %s | %s | %.0f | %.2f | %.2f | %.0f | %.2f | %.2f |%n",
                                    provider.name().toLowerCase(Locale.ROOT), clientCertificate,
                                    reloadable ? "reloadable" : "static", memory.perSecond(), memory.p50Micros() / 1000,
                                    memory.p99Micros() / 1000, result.perSecond(), result.p50Micros() / 1000,
                                    result.p99Micros() / 1000));
                        } finally {
                            grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                        }
                    }
                }
            }
            report.append("\n## Calls on a warm connection (unary health check, one in flight)\n\n"
                    + "Scenarios run interleaved in 5 rounds (A B C A B C ...); the round with the median throughput is shown, "
                    + "with the spread of the 5 rounds.\n\n"
                    + "| transport | calls/s | p50 ms | p99 ms | calls/s, min-max of rounds |\n|---|---:|---:|---:|---|\n");
            String[] transports = {"plaintext", "boringssl mTLS", "jdk mTLS"};
            List<Server> servers = new java.util.ArrayList<>();
            List<ManagedChannel> channels = new java.util.ArrayList<>();
            try {
                for (String transport : transports) {
                    NettyServerBuilder builder = NettyServerBuilder.forPort(0);
                    TlsProvider provider = transport.startsWith("boringssl") ? TlsProvider.BORINGSSL : TlsProvider.JDK;
                    if (!transport.equals("plaintext")) {
                        builder.sslContext(new ReloadableSslContext(TlsContexts.server(serverCredentials, server,
                                ClientAuth.REQUIRE, provider)));
                    }
                    Server grpc = start(builder);
                    servers.add(grpc);
                    NettyChannelBuilder channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.getPort());
                    channels.add(transport.equals("plaintext") ? channel.usePlaintext().build()
                            : channel.sslContext(TlsContexts.client(clientCredentials, client, server.identity(), provider))
                                    .build());
                }
                int rounds = 5;
                List<List<LatencyRecorder.Result>> results = new java.util.ArrayList<>();
                for (int i = 0; i < transports.length; i++) {
                    results.add(new java.util.ArrayList<>());
                }
                for (int round = 0; round < rounds; round++) {
                    for (int i = 0; i < transports.length; i++) {
                        HealthGrpc.HealthBlockingStub stub = HealthGrpc.newBlockingStub(channels.get(i));
                        results.get(i).add(LatencyRecorder.measure(() -> stub.withDeadlineAfter(10, TimeUnit.SECONDS)
                                .check(HealthCheckRequest.getDefaultInstance()), round == 0 ? warmup : warmup / 4,
                                measure / rounds, 10_000_000));
                    }
                }
                for (int i = 0; i < transports.length; i++) {
                    List<LatencyRecorder.Result> sorted = new java.util.ArrayList<>(results.get(i));
                    sorted.sort(Comparator.comparingDouble(LatencyRecorder.Result::perSecond));
                    LatencyRecorder.Result median = sorted.get(rounds / 2);
                    report.append(String.format(Locale.ROOT, "| %s | %.0f | %.3f | %.3f | %.0f-%.0f |%n", transports[i],
                            median.perSecond(), median.p50Micros() / 1000, median.p99Micros() / 1000,
                            sorted.get(0).perSecond(), sorted.get(rounds - 1).perSecond()));
                }
            } finally {
                for (ManagedChannel channel : channels) {
                    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
                for (Server grpc : servers) {
                    grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                }
            }
            Files.createDirectories(out);
            Files.writeString(out.resolve("report.md"), report, StandardCharsets.UTF_8);
            System.out.print(report);
            System.out.println("\nwritten to " + out.resolve("report.md").toAbsolutePath());
            return 0;
        } finally {
            try (var walk = Files.walk(work)) {
                for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    private static Server start(NettyServerBuilder builder) throws java.io.IOException {
        HealthStatusManager health = new HealthStatusManager();
        return builder.addService(health.getHealthService()).build().start();
    }

    private static KeyMaterial issue(CertificateAuthority ca, Role role, String name) throws Exception {
        ca.issue(new CertificateAuthority.LeafRequest(role, name, Duration.ofDays(1), KeyType.EC_P256, SubjectAltNames.LOCAL));
        Path dir = ca.layout().nodeDir(role, name);
        return KeyMaterial.load(CaLayout.key(dir), CaLayout.chain(dir));
    }
}
