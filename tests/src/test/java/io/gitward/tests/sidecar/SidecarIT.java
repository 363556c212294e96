package io.gitward.tests.sidecar;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.gitward.proto.CreateRepositoryRequest;
import io.gitward.proto.GetMetricsRequest;
import io.gitward.proto.RepositoryExistsRequest;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proto.SecurityAdminGrpc;
import io.gitward.security.identity.Role;
import io.gitward.security.server.ReadyFile;
import io.gitward.security.x509.Pem;
import io.gitward.tests.GitwardProcess;
import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.cluster.MiniCluster;
import io.gitward.tests.proxy.ProxyClients;
import io.gitward.tests.security.Curl;
import io.gitward.tests.security.NodeConfig;
import io.gitward.tests.security.ProbeCaller;
import io.gitward.tests.security.ServerCertificateProbe;
import io.gitward.tests.security.TestPki;
import io.grpc.ForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gitward sidecar} as real PROCESSES on real TLS, in front of a phase-6 cluster and of plaintext apps that know
 * nothing of TLS: a JDK {@code HttpServer} and a plaintext gRPC server (the health service). Three sidecars:
 * {@code app-1} (role client; outbound to the proxy, inbound in front of the gRPC app), {@code web-1} (inbound in
 * front of the HTTP app) and {@code loader-1} (role client; outbound to {@code web-1}).
 */
class SidecarIT {
    private static final String IDENTITY_HEADER = "x-gitward-peer-identity";
    private static final String CERTIFICATE_HEADER = "x-gitward-peer-certificate-sha256";

    @TempDir
    static Path dir;
    static MiniCluster cluster;
    static ClusterNode proxy;
    static TestPki pki;
    static List<X509Certificate> roots;
    static final List<GitwardProcess> PROCESSES = new ArrayList<>();
    static final List<ManagedChannel> CHANNELS = new ArrayList<>();

    static HttpServer httpApp;
    /** What the HTTP app saw, one entry per request: path, identity header, certificate header. */
    static final LinkedBlockingQueue<Map<String, String>> HTTP_SEEN = new LinkedBlockingQueue<>();
    static final Set<String> CERTIFICATES_SEEN = ConcurrentHashMap.newKeySet();
    static final AtomicInteger HTTP_REQUESTS = new AtomicInteger();
    static Server grpcApp;
    static final AtomicReference<String> GRPC_IDENTITY = new AtomicReference<>();
    static final AtomicInteger GRPC_CALLS = new AtomicInteger();

    static ReadyFile app1;
    static ReadyFile web1;
    static ReadyFile loader1;

    @BeforeAll
    static void start() throws Exception {
        cluster = MiniCluster.create(dir.resolve("cluster"), "6");
        cluster.start(MiniCluster.NodeSpec.replica("storage-1"));
        proxy = cluster.start(MiniCluster.NodeSpec.proxy("proxy-1", "storage-1")).get(0);
        pki = cluster.pki();
        roots = Pem.readCertificates(pki.roots());
        startApps();

        String identityOfWeb = cluster.spiffeId(Role.CLIENT, "web-1");
        GitwardProcess first = launch("app-1", Role.CLIENT, Map.of(
                "sidecar.outbound.listen", NodeConfig.quote("127.0.0.1:0"),
                "sidecar.outbound.peer.identity", NodeConfig.quote(proxy.identity()),
                "sidecar.outbound.peer.address", NodeConfig.quote(proxy.tlsAddress()),
                "sidecar.inbound.listen", NodeConfig.quote("127.0.0.1:0"),
                "sidecar.inbound.target", NodeConfig.quote("127.0.0.1:" + grpcApp.getPort()),
                "sidecar.inbound.target-protocol", "h2c",
                "sidecar.inbound.routes", "[{path = \"/grpc.health.v1.Health/\", scope = PUBLIC}]"));
        GitwardProcess second = launch("web-1", Role.CLIENT, Map.of(
                "sidecar.inbound.listen", NodeConfig.quote("127.0.0.1:0"),
                "sidecar.inbound.target", NodeConfig.quote("127.0.0.1:" + httpApp.getAddress().getPort()),
                "sidecar.inbound.routes", "[{path = \"/api/\", scope = PUBLIC}, {path = \"/admin/\", scope = ADMIN_READ}]"));
        app1 = first.awaitReady(dir.resolve("app-1-data/ready.json"), Duration.ofSeconds(60));
        web1 = second.awaitReady(dir.resolve("web-1-data/ready.json"), Duration.ofSeconds(60));
        GitwardProcess third = launch("loader-1", Role.CLIENT, Map.of(
                "sidecar.outbound.listen", NodeConfig.quote("127.0.0.1:0"),
                "sidecar.outbound.peer.identity", NodeConfig.quote(identityOfWeb),
                "sidecar.outbound.peer.address", NodeConfig.quote(web1.listeners().get("sidecar-inbound"))));
        loader1 = third.awaitReady(dir.resolve("loader-1-data/ready.json"), Duration.ofSeconds(60));
    }

    private static void startApps() throws Exception {
        httpApp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        httpApp.setExecutor(Executors.newFixedThreadPool(4));
        httpApp.createContext("/", exchange -> {
            String identity = exchange.getRequestHeaders().getFirst(IDENTITY_HEADER);
            String certificate = exchange.getRequestHeaders().getFirst(CERTIFICATE_HEADER);
            byte[] body = exchange.getRequestBody().readAllBytes();
            HTTP_REQUESTS.incrementAndGet();
            if (certificate != null) {
                CERTIFICATES_SEEN.add(certificate);
            }
            Map<String, String> seen = new java.util.HashMap<>();
            seen.put("path", exchange.getRequestURI().getPath());
            seen.put("identity", String.valueOf(identity));
            seen.put("identities", String.valueOf(exchange.getRequestHeaders().get(IDENTITY_HEADER)));
            HTTP_SEEN.add(seen);
            byte[] answer = ("hello " + identity + " (" + body.length + " bytes)\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("content-type", "text/plain");
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        httpApp.start();

        HealthStatusManager health = new HealthStatusManager();
        health.setStatus("", HealthCheckResponse.ServingStatus.SERVING);
        ServerInterceptor recorder = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                GRPC_IDENTITY.set(headers.get(Metadata.Key.of(IDENTITY_HEADER, Metadata.ASCII_STRING_MARSHALLER)));
                GRPC_CALLS.incrementAndGet();
                return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
                };
            }
        };
        grpcApp = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(health.getHealthService(), recorder)).build().start();
    }

    private static GitwardProcess launch(String name, Role role, Map<String, String> extra) throws Exception {
        TestPki.NodeFiles files = pki.issue(role, name);
        Path data = dir.resolve(name + "-data");
        NodeConfig config = NodeConfig.node(name, data).identity(pki, files).set("security.phase", "6")
                .set("listen.grpc-plaintext", "null")
                .set("sidecar.role", NodeConfig.quote(role.wireName()));
        extra.forEach(config::set);
        Path file = config.write(dir.resolve(name + ".conf"));
        GitwardProcess process = GitwardProcess.start(dir.resolve(name + ".log"), Map.of(), "sidecar", "--config",
                file.toString());
        PROCESSES.add(process);
        return process;
    }

    @AfterAll
    static void stop() {
        CHANNELS.forEach(ManagedChannel::shutdownNow);
        PROCESSES.forEach(GitwardProcess::close);
        if (cluster != null) {
            cluster.close();
        }
        if (httpApp != null) {
            httpApp.stop(0);
        }
        if (grpcApp != null) {
            grpcApp.shutdownNow();
        }
    }

    // ---- (a) outbound: a plaintext gRPC client reaches the phase-6 proxy only through the sidecar

    @Test
    void aPlaintextGrpcClientReachesThePhase6ProxyThroughTheOutboundSidecarAndIsRefusedWithoutIt() throws Exception {
        ManagedChannel viaSidecar = plaintext(app1.listeners().get("sidecar-outbound"));
        RepositoryServiceGrpc.RepositoryServiceBlockingStub stub = RepositoryServiceGrpc.newBlockingStub(viaSidecar)
                .withDeadlineAfter(30, TimeUnit.SECONDS);
        stub.createRepository(CreateRepositoryRequest.newBuilder().setRepository(ProxyClients.repository("sidecar.git"))
                .build());
        assertTrue(RepositoryServiceGrpc.newBlockingStub(viaSidecar).withDeadlineAfter(10, TimeUnit.SECONDS)
                .repositoryExists(RepositoryExistsRequest.newBuilder().setRepository(
                        ProxyClients.repository("sidecar.git")).build()).getExists());

        ManagedChannel direct = plaintext(proxy.tlsAddress());
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> RepositoryServiceGrpc
                .newBlockingStub(direct).withDeadlineAfter(10, TimeUnit.SECONDS).repositoryExists(RepositoryExistsRequest
                        .newBuilder().setRepository(ProxyClients.repository("sidecar.git")).build()));
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.toString());
        assertNull(proxy.ready().listeners().get("grpc-plaintext"), "phase 6 has no plaintext listener");
    }

    @Test
    void aPlaintextHttpClientReachesAnInboundSidecarThroughTheOutboundOneOverHttp1AndH2c() throws Exception {
        String outbound = loader1.listeners().get("sidecar-outbound");
        for (List<String> protocol : List.of(List.of("--http1.1"), List.of("--http2-prior-knowledge"))) {
            HTTP_SEEN.clear();
            Curl.Response response = Curl.run(concat(protocol, List.of("-H", IDENTITY_HEADER + ": spiffe://"
                    + MiniCluster.TRUST_DOMAIN + "/admin/forged", "--data-binary", "0123456789",
                    "http://" + outbound + "/api/through")));
            assertEquals(200, response.status(), response.toString());
            assertEquals("hello " + cluster.spiffeId(Role.CLIENT, "loader-1") + " (10 bytes)", response.body().strip());
            Map<String, String> seen = HTTP_SEEN.poll(5, TimeUnit.SECONDS);
            assertEquals("[" + cluster.spiffeId(Role.CLIENT, "loader-1") + "]", seen.get("identities"),
                    "the forged header never reaches the app, only the sidecar's");
        }
    }

    // ---- (b) inbound: routes, roles and the identity header over HTTP/1.1, HTTP/2 and gRPC

    @Test
    void anAllowedRoleReachesTheHttpAppWithTheIdentityHeaderOverHttp1AndHttp2AndAForgedHeaderIsReplaced()
            throws Exception {
        TestPki.NodeFiles caller = pki.issue(Role.CLIENT, "caller-1");
        for (String protocol : List.of("--http1.1", "--http2")) {
            HTTP_SEEN.clear();
            Curl.Response response = curl(caller, protocol, "-H", IDENTITY_HEADER + ": spiffe://" + MiniCluster.TRUST_DOMAIN
                    + "/admin/forged", "-H", CERTIFICATE_HEADER + ": forged", "https://" + inbound() + "/api/hello?x=1");
            assertEquals(200, response.status(), response.toString());
            assertEquals(protocol.equals("--http2") ? "2" : "1.1", response.httpVersion());
            Map<String, String> seen = HTTP_SEEN.poll(5, TimeUnit.SECONDS);
            assertEquals("/api/hello", seen.get("path"));
            assertEquals("[" + cluster.spiffeId(Role.CLIENT, "caller-1") + "]", seen.get("identities"));
        }
    }

    @Test
    void aWrongRoleGets403AndTheAppSeesNothing() throws Exception {
        TestPki.NodeFiles storage = pki.issue(Role.STORAGE, "intruder-1");
        TestPki.NodeFiles client = pki.issue(Role.CLIENT, "caller-2");
        TestPki.NodeFiles admin = pki.issue(Role.ADMIN, "operator-1");
        int before = HTTP_REQUESTS.get();
        for (String protocol : List.of("--http1.1", "--http2")) {
            Curl.Response wrongRole = curl(storage, protocol, "https://" + inbound() + "/api/hello");
            assertEquals(403, wrongRole.status(), wrongRole.toString());
            assertTrue(wrongRole.body().contains("scope PUBLIC") && wrongRole.body().contains("storage/intruder-1"),
                    wrongRole.body());
            Curl.Response clientOnAdmin = curl(client, protocol, "https://" + inbound() + "/admin/status");
            assertEquals(403, clientOnAdmin.status(), clientOnAdmin.toString());
            Curl.Response unmatched = curl(client, protocol, "https://" + inbound() + "/elsewhere");
            assertEquals(403, unmatched.status(), unmatched.toString());
            Curl.Response dotSegments = curl(client, protocol, "--path-as-is", "https://" + inbound()
                    + "/api/../admin/status");
            assertEquals(400, dotSegments.status(), dotSegments.toString());
        }
        Curl.Response noCertificate = Curl.run(List.of("--cacert", pki.roots().toString(), "https://" + inbound()
                + "/api/hello"));
        assertEquals(0, noCertificate.status(), "phase 6 requires a client certificate: " + noCertificate);
        assertEquals(before, HTTP_REQUESTS.get(), "no refused request reached the app");
        Curl.Response operator = curl(admin, "--http2", "https://" + inbound() + "/admin/status");
        assertEquals(200, operator.status(), operator.toString());
    }

    @Test
    void grpcThroughTheInboundSidecarCarriesTheIdentityAndRefusesAWrongRoleWithPermissionDenied() throws Exception {
        ManagedChannel allowed = mtls(app1.listeners().get("sidecar-inbound"), Role.CLIENT, "grpc-caller-1");
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, HealthGrpc.newBlockingStub(allowed)
                .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus());
        assertEquals(cluster.spiffeId(Role.CLIENT, "grpc-caller-1"), GRPC_IDENTITY.get());
        // Server streaming: the first message arrives while the stream stays open.
        java.util.Iterator<HealthCheckResponse> watch = HealthGrpc.newBlockingStub(allowed)
                .withDeadlineAfter(10, TimeUnit.SECONDS).watch(HealthCheckRequest.getDefaultInstance());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, watch.next().getStatus());

        int calls = GRPC_CALLS.get();
        ManagedChannel wrongRole = mtls(app1.listeners().get("sidecar-inbound"), Role.STORAGE, "grpc-intruder-1");
        StatusRuntimeException denied = assertThrows(StatusRuntimeException.class, () -> HealthGrpc.newBlockingStub(
                wrongRole).withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()));
        assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode(), denied.toString());
        assertTrue(denied.getStatus().getDescription().contains("storage/grpc-intruder-1"), denied.toString());
        assertEquals(calls, GRPC_CALLS.get(), "the app saw nothing of the refused call");
    }

    @Test
    void aRevokedCallersOpenStreamIsCutAndItsNextCallRefused() throws Exception {
        ManagedChannel channel = mtls(app1.listeners().get("sidecar-inbound"), Role.CLIENT, "revokee-1");
        java.util.Iterator<HealthCheckResponse> watch = HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS).watch(HealthCheckRequest.getDefaultInstance());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, watch.next().getStatus());
        long revokedAt = System.nanoTime();
        pki.revoke(Role.CLIENT, "revokee-1");
        StatusRuntimeException cut = assertThrows(StatusRuntimeException.class, watch::next);
        long cutMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - revokedAt);
        assertEquals(Status.Code.UNAVAILABLE, cut.getStatus().getCode(), cut.toString());
        assertTrue(cutMillis < 10_000, "cut " + cutMillis + " ms after the CRL changed");
        System.out.println("revoked caller's stream cut " + cutMillis + " ms after the CRL changed");
        assertThrows(StatusRuntimeException.class, () -> HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()));
    }

    // ---- (c) rotation under load through the sidecar

    /**
     * Three rounds, each renewing all three sidecars under a bounded load loop: HTTP through loader-1 (outbound) and
     * web-1 (inbound), gRPC through app-1's outbound to the proxy and straight into app-1's inbound. Proof that each
     * renewed identity is used afterwards: the app records loader-1's new certificate; fresh handshakes on web-1's and
     * app-1's inbound listeners show their new serials; and app-1's previous certificate is revoked (the proxy checks
     * every call against the CRL), so calls through app-1 that still succeed can only present the new one.
     */
    @Test
    void renewingEverySidecarsCertificateUnderLoadFailsNoCallAndEveryNewCertificateIsUsed() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        URI uri = URI.create("http://" + loader1.listeners().get("sidecar-outbound") + "/api/load");
        ManagedChannel toProxy = plaintext(app1.listeners().get("sidecar-outbound"));
        ManagedChannel intoApp1 = mtls(app1.listeners().get("sidecar-inbound"), Role.CLIENT, "load-caller-1");
        RepositoryServiceGrpc.newBlockingStub(toProxy).withDeadlineAfter(30, TimeUnit.SECONDS).createRepository(
                CreateRepositoryRequest.newBuilder().setRepository(ProxyClients.repository("load.git")).build());
        ProbeCaller.ClientIdentity prober = TestPki.clientIdentity(pki.issue(Role.CLIENT, "serial-prober-1"));
        ManagedChannel app1Admin = mtls(app1.listeners().get("grpc-tls"), Role.ADMIN, "sidecar-admin-1");
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger proxyCalls = new AtomicInteger();
        List<String> failures = new CopyOnWriteArrayList<>();
        // Held exclusively while app-1's previous certificate is revoked: no call to the proxy is in flight then.
        ReentrantReadWriteLock proxyGate = new ReentrantReadWriteLock();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        int maxCalls = 20_000;
        AtomicBoolean stop = new AtomicBoolean();
        Thread load = new Thread(() -> {
            for (int i = 0; i < maxCalls && !stop.get() && System.nanoTime() < deadline; i++) {
                try {
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                            .GET().build(), HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() != 200) {
                        failures.add("HTTP " + response.statusCode() + ": " + response.body());
                    }
                    if (i % 5 == 0 && proxyGate.readLock().tryLock()) {
                        try {
                            RepositoryServiceGrpc.newBlockingStub(toProxy).withDeadlineAfter(10, TimeUnit.SECONDS)
                                    .repositoryExists(RepositoryExistsRequest.newBuilder().setRepository(
                                            ProxyClients.repository("load.git")).build());
                            proxyCalls.incrementAndGet();
                        } finally {
                            proxyGate.readLock().unlock();
                        }
                    }
                    if (i % 5 == 2) {
                        HealthGrpc.newBlockingStub(intoApp1).withDeadlineAfter(10, TimeUnit.SECONDS)
                                .check(HealthCheckRequest.getDefaultInstance());
                    }
                    ok.incrementAndGet();
                } catch (Exception | Error e) {
                    // Every failure is recorded; none ends the loop silently.
                    failures.add(e.toString());
                }
            }
        }, "sidecar-load");
        load.start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> ok.get() > 50);
            List<String> seen = new ArrayList<>();
            for (int round = 1; round <= 3; round++) {
                ProbeCaller.ClientIdentity app1Before = TestPki.clientIdentity(pki.files(Role.CLIENT, "app-1"));
                long rotationsBefore = outboundRotations(app1Admin);
                X509Certificate loader = leaf(pki.renew(Role.CLIENT, "loader-1"));
                X509Certificate web = leaf(pki.renew(Role.CLIENT, "web-1"));
                X509Certificate app = leaf(pki.renew(Role.CLIENT, "app-1"));
                int before = ok.get();
                // loader-1 presented its new certificate to web-1 (the app records what web-1 verified).
                String fingerprint = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(loader.getEncoded()));
                await("loader-1 presents its new certificate").atMost(Duration.ofSeconds(30))
                        .until(() -> CERTIFICATES_SEEN.contains(fingerprint));
                // The inbound sidecars serve their new certificates on fresh handshakes.
                await("web-1 serves its new certificate").atMost(Duration.ofSeconds(30)).until(() -> ServerCertificateProbe
                        .serialOf(port(inbound()), prober).equals(web.getSerialNumber()));
                await("app-1 serves its new certificate").atMost(Duration.ofSeconds(30)).until(() -> ServerCertificateProbe
                        .serialOf(port(app1.listeners().get("sidecar-inbound")), prober).equals(app.getSerialNumber()));
                // app-1's outbound moved to the new key; then its previous certificate is revoked with no call in flight.
                await("app-1's outbound rotated").atMost(Duration.ofSeconds(30))
                        .until(() -> outboundRotations(app1Admin) > rotationsBefore);
                proxyGate.writeLock().lock();
                try {
                    assertFalse(refusedByProxy(app1Before), "positive control: before its revocation the previous"
                            + " certificate is still accepted");
                    pki.authority().revokeSerial(app1Before.chain().get(0).getSerialNumber().toString(16),
                            "superseded");
                    await("the proxy refuses app-1's previous certificate").atMost(Duration.ofSeconds(30))
                            .pollInterval(Duration.ofMillis(100)).until(() -> refusedByProxy(app1Before));
                } finally {
                    proxyGate.writeLock().unlock();
                }
                int proxyCallsBefore = proxyCalls.get();
                await().atMost(Duration.ofSeconds(30)).until(() -> ok.get() > before + 50
                        && proxyCalls.get() > proxyCallsBefore + 5);
                seen.add("loader-1 " + loader.getSerialNumber().toString(16) + ", web-1 "
                        + web.getSerialNumber().toString(16) + ", app-1 " + app.getSerialNumber().toString(16));
            }
            stop.set(true);
            load.join(30_000);
            assertFalse(load.isAlive(), "the load loop ended");
            assertEquals(List.of(), failures, "no call failed across the rotations");
            assertEquals(3, Set.copyOf(seen).size(), "three rounds of new serials: " + seen);
            System.out.println("rotation under load: " + ok.get() + " iterations (" + proxyCalls.get() + " through app-1 to"
                    + " the proxy), 0 failed; new certificates in use: " + seen);
        } finally {
            stop.set(true);
            load.join(30_000);
        }
        assertNotEquals(0, ok.get());
    }

    // ---- (d) the outbound sidecar drops a pinned peer whose certificate is revoked

    @Test
    void revokingTheOutboundSidecarsPinnedPeerCutsItsOpenStreamAndRefusesNewCalls() throws Exception {
        GitwardProcess peerProcess = launch("echo-2", Role.CLIENT, Map.of(
                "sidecar.inbound.listen", NodeConfig.quote("127.0.0.1:0"),
                "sidecar.inbound.target", NodeConfig.quote("127.0.0.1:" + grpcApp.getPort()),
                "sidecar.inbound.target-protocol", "h2c",
                "sidecar.inbound.routes", "[{path = \"/grpc.health.v1.Health/\", scope = PUBLIC}]"));
        ReadyFile peer = peerProcess.awaitReady(dir.resolve("echo-2-data/ready.json"), Duration.ofSeconds(60));
        GitwardProcess callerProcess = launch("caller-3", Role.CLIENT, Map.of(
                "sidecar.outbound.listen", NodeConfig.quote("127.0.0.1:0"),
                "sidecar.outbound.peer.identity", NodeConfig.quote(cluster.spiffeId(Role.CLIENT, "echo-2")),
                "sidecar.outbound.peer.address", NodeConfig.quote(peer.listeners().get("sidecar-inbound"))));
        ReadyFile caller = callerProcess.awaitReady(dir.resolve("caller-3-data/ready.json"), Duration.ofSeconds(60));
        ManagedChannel channel = plaintext(caller.listeners().get("sidecar-outbound"));
        java.util.Iterator<HealthCheckResponse> watch = HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(60, TimeUnit.SECONDS).watch(HealthCheckRequest.getDefaultInstance());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, watch.next().getStatus());
        assertEquals(cluster.spiffeId(Role.CLIENT, "caller-3"), GRPC_IDENTITY.get(), "the call went through echo-2");

        long revokedAt = System.nanoTime();
        pki.revoke(Role.CLIENT, "echo-2");
        StatusRuntimeException cut = assertThrows(StatusRuntimeException.class, watch::next);
        long cutMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - revokedAt);
        // The sidecar relays HTTP/2, not gRPC: the app's side of the stream is reset (RST_STREAM CANCEL).
        assertEquals(Status.Code.CANCELLED, cut.getStatus().getCode(), cut.toString());
        assertTrue(String.valueOf(cut.getStatus().getDescription()).contains("RST_STREAM"), cut.toString());
        assertTrue(cutMillis < 10_000, "cut " + cutMillis + " ms after the CRL changed");
        // The caller's sidecar cut it (echo-2 does not check its own certificate against the CRL).
        await().atMost(Duration.ofSeconds(10)).until(() -> callerProcess.output().contains(
                "outbound: closed 1 connection(s) to " + cluster.spiffeId(Role.CLIENT, "echo-2")));
        int calls = GRPC_CALLS.get();
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> HealthGrpc
                .newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.toString());
        assertTrue(String.valueOf(refused.getStatus().getDescription()).contains("bad gateway: peer "
                + cluster.spiffeId(Role.CLIENT, "echo-2") + " unavailable"), refused.toString());
        assertEquals(calls, GRPC_CALLS.get(), "nothing reached the app behind the revoked peer");
        System.out.println("revoked pinned peer: the outbound sidecar cut its stream " + cutMillis
                + " ms after the CRL changed and refuses new calls (" + refused.getStatus().getDescription() + ")");
    }

    // ---- helpers

    private static X509Certificate leaf(TestPki.NodeFiles files) throws Exception {
        return Pem.readCertificates(files.certificate()).get(0);
    }

    private static int port(String address) {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    /** The sidecar's {@code gitward_sidecar_outbound_rotations_total}, read as an admin. */
    private static long outboundRotations(ManagedChannel admin) {
        String text = SecurityAdminGrpc.newBlockingStub(admin).withDeadlineAfter(10, TimeUnit.SECONDS)
                .getMetrics(GetMetricsRequest.getDefaultInstance()).getPrometheusText();
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile(
                "^gitward_sidecar_outbound_rotations_total (\\d+)$", java.util.regex.Pattern.MULTILINE).matcher(text);
        assertTrue(matcher.find(), "no gitward_sidecar_outbound_rotations_total in the sidecar's metrics");
        return Long.parseLong(matcher.group(1));
    }

    /** Whether the proxy now refuses {@code identity} (on a new connection, so nothing cached helps). */
    private static boolean refusedByProxy(ProbeCaller.ClientIdentity identity) throws Exception {
        ManagedChannel channel = ProbeCaller.channel(proxy.tlsPort(), true, identity, roots, SslProvider.OPENSSL);
        try {
            RepositoryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).repositoryExists(
                    RepositoryExistsRequest.newBuilder().setRepository(ProxyClients.repository("load.git")).build());
            return false;
        } catch (StatusRuntimeException e) {
            // Refused in the handshake (UNAVAILABLE) or by the per-call check (UNAUTHENTICATED); not just slow.
            return e.getStatus().getCode() == Status.Code.UNAVAILABLE
                    || e.getStatus().getCode() == Status.Code.UNAUTHENTICATED;
        } finally {
            channel.shutdownNow();
        }
    }

    private static String inbound() {
        return web1.listeners().get("sidecar-inbound");
    }

    private static Curl.Response curl(TestPki.NodeFiles identity, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--cacert", pki.roots().toString(), "--cert", identity.chain().toString(),
                "--key", identity.key().toString()));
        all.addAll(List.of(args));
        return Curl.run(all);
    }

    private static ManagedChannel plaintext(String address) {
        int colon = address.lastIndexOf(':');
        ManagedChannel channel = NettyChannelBuilder.forAddress(address.substring(0, colon),
                Integer.parseInt(address.substring(colon + 1))).usePlaintext().disableRetry().build();
        CHANNELS.add(channel);
        return channel;
    }

    private static ManagedChannel mtls(String address, Role role, String name) throws Exception {
        TestPki.NodeFiles files = pki.issue(role, name);
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        ManagedChannel channel = ProbeCaller.channel(port, true, TestPki.clientIdentity(files), roots, SslProvider.OPENSSL);
        CHANNELS.add(channel);
        return channel;
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }
}
