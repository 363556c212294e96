package io.gitward.security.authz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.OperationType;
import io.gitward.proto.Scope;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.phase.AuthorizationMode;
import io.gitward.security.phase.PhaseFlags;
import io.gitward.security.phase.TokenPolicy;
import io.gitward.security.server.NodeKind;
import io.gitward.security.token.TokenVerdict;
import io.grpc.Status;
import io.netty.handler.ssl.ClientAuth;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decision function, table by table: the token rule of each phase (design.md section 4), the mechanism
 * rules that hold in every mode, the scope-to-role policy of section 3 under audit and enforce, trust
 * domains, the insecure direct-client option and methods without a scope.
 */
class AccessPolicyTest {
    private static final TrustDomain OWN = TrustDomain.of("gitward.local");
    private static final TrustDomain OTHER = TrustDomain.of("other.cell");
    private static final TrustDomain THIRD = TrustDomain.of("third.cell");
    private static final String HOST = "10.0.0.7";
    private static final String ANONYMOUS = "anonymous@" + HOST;
    private static final List<Scope> SCOPES = List.of(Scope.PUBLIC, Scope.INTERNAL, Scope.MAINTENANCE, Scope.ADMIN_READ,
            Scope.ADMIN_WRITE, Scope.TX_REGISTER, Scope.TX_VOTE);
    private static final List<Scope> PRIVILEGED = List.of(Scope.ADMIN_READ, Scope.ADMIN_WRITE, Scope.TX_VOTE,
            Scope.INTERNAL, Scope.MAINTENANCE);

    /** Who may call what with a verified certificate of this node's own domain: design.md section 3. */
    private static final Map<NodeKind, Map<Scope, Set<Role>>> ADMITTED = new EnumMap<>(NodeKind.class);

    static {
        Map<Scope, Set<Role>> proxy = new EnumMap<>(Scope.class);
        proxy.put(Scope.PUBLIC, EnumSet.of(Role.CLIENT));
        proxy.put(Scope.ADMIN_READ, EnumSet.of(Role.ADMIN, Role.AUDITOR));
        proxy.put(Scope.ADMIN_WRITE, EnumSet.of(Role.ADMIN));
        // The proxy embeds the coordinator: storage nodes vote, proxies register, on its listener.
        proxy.put(Scope.TX_REGISTER, EnumSet.of(Role.PROXY));
        proxy.put(Scope.TX_VOTE, EnumSet.of(Role.STORAGE));
        Map<Scope, Set<Role>> storage = new EnumMap<>(Scope.class);
        storage.put(Scope.PUBLIC, EnumSet.of(Role.PROXY));
        storage.put(Scope.INTERNAL, EnumSet.of(Role.STORAGE));
        storage.put(Scope.MAINTENANCE, EnumSet.of(Role.PROXY));
        storage.put(Scope.ADMIN_READ, EnumSet.of(Role.ADMIN, Role.AUDITOR));
        Map<Scope, Set<Role>> coordinator = new EnumMap<>(Scope.class);
        coordinator.put(Scope.TX_REGISTER, EnumSet.of(Role.PROXY));
        coordinator.put(Scope.TX_VOTE, EnumSet.of(Role.STORAGE));
        coordinator.put(Scope.ADMIN_READ, EnumSet.of(Role.ADMIN, Role.AUDITOR));
        ADMITTED.put(NodeKind.PROXY, proxy);
        ADMITTED.put(NodeKind.STORAGE, storage);
        ADMITTED.put(NodeKind.COORDINATOR, coordinator);
        // The gateway serves only its admin surface over gRPC; Git traffic is HTTPS forwarded to the proxy.
        Map<Scope, Set<Role>> gateway = new EnumMap<>(Scope.class);
        gateway.put(Scope.ADMIN_READ, EnumSet.of(Role.ADMIN, Role.AUDITOR));
        ADMITTED.put(NodeKind.GATEWAY, gateway);
        // The sidecar fronts an app whose routes name scopes: PUBLIC for clients, the admin scopes for operators.
        Map<Scope, Set<Role>> sidecar = new EnumMap<>(Scope.class);
        sidecar.put(Scope.PUBLIC, EnumSet.of(Role.CLIENT));
        sidecar.put(Scope.ADMIN_READ, EnumSet.of(Role.ADMIN, Role.AUDITOR));
        sidecar.put(Scope.ADMIN_WRITE, EnumSet.of(Role.ADMIN));
        ADMITTED.put(NodeKind.SIDECAR, sidecar);
    }

    enum Outcome {
        ALLOW("allowed"), WOULD_DENY("a would-deny"), PERMISSION_DENIED("denied"), UNAUTHENTICATED("unauthenticated");

        private final String words;

        Outcome(String words) {
            this.words = words;
        }
    }

    /** The node deciding: its effective flags, its kind, extra rules and the insecure direct-client option. */
    record Node(String phase, PhaseFlags flags, NodeKind kind, List<ScopePolicy.Rule> rules, boolean allowDirect) {
        AccessPolicy policy() {
            return new AccessPolicy(ScopePolicy.of(kind, OWN, rules, allowDirect), flags);
        }

        Node kind(NodeKind other) {
            return new Node(phase, flags, other, rules, allowDirect);
        }

        Node rules(ScopePolicy.Rule... extra) {
            return new Node(phase, flags, kind, List.of(extra), allowDirect);
        }

        Node allowingDirectClientStorage() {
            return new Node(phase, flags, kind, rules, true);
        }

        @Override
        public String toString() {
            return phase + " on " + kind;
        }
    }

    // ---- nodes and flags

    private static Node phase(int phase, NodeKind kind) {
        return new Node("phase " + phase, PhaseFlags.preset(phase), kind, List.of(), false);
    }

    /** Phase 4 with the authorization override to enforce, as an operator sets it once the audit is clean. */
    private static Node phase4Enforce(NodeKind kind) {
        return new Node("phase 4 (enforce)", withAuthorization(PhaseFlags.preset(4), AuthorizationMode.ENFORCE), kind,
                List.of(), false);
    }

    private static List<Node> phasesFrom2(NodeKind kind) {
        return List.of(phase(2, kind), phase(3, kind), phase(4, kind), phase4Enforce(kind), phase(5, kind), phase(6, kind));
    }

    private static List<Node> everyPhase(NodeKind kind) {
        List<Node> nodes = new ArrayList<>(List.of(phase(0, kind), phase(1, kind)));
        nodes.addAll(phasesFrom2(kind));
        return nodes;
    }

    private static PhaseFlags withAuthorization(PhaseFlags f, AuthorizationMode mode) {
        return new PhaseFlags(f.plaintextListener(), f.clientAuth(), mode, f.tokens(), f.outboundTls(), f.outboundClientCert(),
                f.outboundToken(), f.staleCrlFailsClosed(), f.legacyForwardTokenInTransaction());
    }

    private static PhaseFlags withTokens(PhaseFlags f, TokenPolicy tokens) {
        return new PhaseFlags(f.plaintextListener(), f.clientAuth(), f.authorization(), tokens, f.outboundTls(),
                f.outboundClientCert(), f.outboundToken(), f.staleCrlFailsClosed(), f.legacyForwardTokenInTransaction());
    }

    private static PhaseFlags withClientAuth(PhaseFlags f, ClientAuth clientAuth) {
        return new PhaseFlags(f.plaintextListener(), clientAuth, f.authorization(), f.tokens(), f.outboundTls(),
                f.outboundClientCert(), f.outboundToken(), f.staleCrlFailsClosed(), f.legacyForwardTokenInTransaction());
    }

    // ---- callers

    private static NodeIdentity identity(TrustDomain domain, Role role) {
        return new NodeIdentity(domain, role, role.wireName() + "-1");
    }

    private static Caller plaintext(TokenVerdict token) {
        return new Caller(Transport.PLAINTEXT, null, token, null, HOST);
    }

    private static Caller tlsWithoutCertificate(TokenVerdict token) {
        return new Caller(Transport.TLS, null, token, null, HOST);
    }

    /** A caller whose certificate was verified in phase 3 or later, sending no token or a token with {@code token}. */
    private static Caller certificate(Role role, TokenVerdict token) {
        return new Caller(Transport.MTLS, identity(OWN, role), token, null, HOST);
    }

    private static Caller certificate(Role role) {
        return certificate(role, TokenVerdict.ABSENT);
    }

    private static Caller certificateOf(TrustDomain domain, Role role) {
        return new Caller(Transport.MTLS, identity(domain, role), TokenVerdict.ABSENT, null, HOST);
    }

    /** An edge peer, forwarding a certificate of {@code forwarded} (null: forwarding nothing). */
    private static Caller edge(Role forwarded) {
        return new Caller(Transport.MTLS, identity(OWN, Role.EDGE), TokenVerdict.ABSENT,
                forwarded == null ? null : identity(OWN, forwarded), HOST);
    }

    private static MethodInfo method(Scope scope) {
        return new MethodInfo("gitward.TestService/" + scope.name(), scope, OperationType.ACCESSOR, 0, false);
    }

    private static Decision decide(Node node, Caller caller, MethodInfo method) {
        boolean forwardedSent = caller.forwardedFor() != null && caller.identity() != null
                && caller.identity().role() == Role.EDGE;
        return node.policy().decide(caller, method, forwardedSent);
    }

    private static void assertOutcome(Outcome expected, Decision decision) {
        String detail = decision.toString();
        switch (expected) {
            case ALLOW -> {
                assertTrue(decision.allowed() && !decision.wouldDeny(), detail);
                assertEquals(Status.Code.OK, decision.code(), detail);
                assertEquals("allow", decision.auditLabel());
            }
            case WOULD_DENY -> {
                assertTrue(decision.allowed() && decision.wouldDeny(), "audit lets the call through: " + detail);
                assertEquals(Status.Code.OK, decision.code(), detail);
                assertFalse(decision.reason().isEmpty(), "a would-deny says why");
                assertEquals("would-deny", decision.auditLabel());
            }
            case PERMISSION_DENIED, UNAUTHENTICATED -> {
                assertFalse(decision.allowed(), detail);
                assertFalse(decision.wouldDeny(), detail);
                assertEquals(expected == Outcome.UNAUTHENTICATED ? Status.Code.UNAUTHENTICATED
                        : Status.Code.PERMISSION_DENIED, decision.code(), detail);
                assertFalse(decision.reason().isEmpty(), "a denial says why");
                assertEquals("deny", decision.auditLabel());
            }
            default -> throw new IllegalArgumentException(expected.name());
        }
    }

    private static Arguments row(String name, Node node, Scope scope, Caller caller, Outcome expected) {
        return Arguments.of(name, node, scope, caller, expected);
    }

    // ---- 1. the token rule of each phase

    static Stream<Arguments> tokenRule() {
        List<Arguments> rows = new ArrayList<>();
        for (int phase : new int[] {0, 1}) {
            Node node = phase(phase, NodeKind.STORAGE);
            String p = "phase " + phase + ": ";
            rows.add(row(p + "a plaintext caller with a valid token is allowed", node, Scope.PUBLIC,
                    plaintext(TokenVerdict.VALID), Outcome.ALLOW));
            rows.add(row(p + "a TLS caller without a certificate but with a valid token is allowed", node, Scope.PUBLIC,
                    tlsWithoutCertificate(TokenVerdict.VALID), Outcome.ALLOW));
            for (TokenVerdict verdict : TokenVerdict.values()) {
                if (verdict != TokenVerdict.VALID) {
                    rows.add(row(p + "a plaintext caller whose token is " + verdict.code() + " is unauthenticated", node,
                            Scope.PUBLIC, plaintext(verdict), Outcome.UNAUTHENTICATED));
                }
            }
            rows.add(row(p + "a TLS caller without a token is unauthenticated", node, Scope.PUBLIC,
                    tlsWithoutCertificate(TokenVerdict.ABSENT), Outcome.UNAUTHENTICATED));
            rows.add(row(p + "even a verified identity needs a token", node, Scope.PUBLIC,
                    certificate(Role.PROXY, TokenVerdict.ABSENT), Outcome.UNAUTHENTICATED));
        }
        Node transitioning = new Node("phase 0 (tokens transitioning)", withTokens(PhaseFlags.preset(0),
                TokenPolicy.TRANSITIONING), NodeKind.STORAGE, List.of(), false);
        rows.add(row("phase 0, tokens transitioning: a caller without a token is only counted", transitioning, Scope.PUBLIC,
                plaintext(TokenVerdict.ABSENT), Outcome.ALLOW));
        rows.add(row("phase 0, tokens transitioning: a caller with a wrong token is only counted", transitioning,
                Scope.PUBLIC, plaintext(TokenVerdict.WRONG), Outcome.ALLOW));
        rows.add(row("phase 0, tokens transitioning: a replayed token is only counted", transitioning, Scope.ADMIN_READ,
                plaintext(TokenVerdict.REPLAYED), Outcome.ALLOW));

        Node two = phase(2, NodeKind.PROXY);
        rows.add(row("phase 2: a TLS caller without a certificate but with a valid token is allowed", two, Scope.PUBLIC,
                tlsWithoutCertificate(TokenVerdict.VALID), Outcome.ALLOW));
        rows.add(row("phase 2: a plaintext caller with a valid token is allowed", two, Scope.PUBLIC,
                plaintext(TokenVerdict.VALID), Outcome.ALLOW));
        for (TokenVerdict verdict : List.of(TokenVerdict.ABSENT, TokenVerdict.WRONG, TokenVerdict.EXPIRED,
                TokenVerdict.REPLAYED, TokenVerdict.MALFORMED)) {
            rows.add(row("phase 2: a caller without a certificate whose token is " + verdict.code() + " is unauthenticated",
                    two, Scope.PUBLIC, tlsWithoutCertificate(verdict), Outcome.UNAUTHENTICATED));
        }
        rows.add(row("phase 2: a verified client needs no token", two, Scope.PUBLIC, certificate(Role.CLIENT),
                Outcome.ALLOW));
        rows.add(row("phase 2: a verified client's wrong token does not matter, the certificate decides", two, Scope.PUBLIC,
                certificate(Role.CLIENT, TokenVerdict.WRONG), Outcome.ALLOW));
        rows.add(row("phase 2: a verified client's expired token does not matter", two, Scope.PUBLIC,
                certificate(Role.CLIENT, TokenVerdict.EXPIRED), Outcome.ALLOW));

        for (Node node : List.of(phase(3, NodeKind.PROXY), phase(4, NodeKind.PROXY))) {
            String p = node.phase() + ": ";
            for (TokenVerdict verdict : List.of(TokenVerdict.ABSENT, TokenVerdict.WRONG, TokenVerdict.EXPIRED,
                    TokenVerdict.REPLAYED)) {
                rows.add(row(p + "a plaintext caller whose token is " + verdict.code() + " is unauthenticated", node,
                        Scope.PUBLIC, plaintext(verdict), Outcome.UNAUTHENTICATED));
            }
            rows.add(row(p + "a verified client needs no token", node, Scope.PUBLIC, certificate(Role.CLIENT),
                    Outcome.ALLOW));
            rows.add(row(p + "a verified client's wrong token is not looked at", node, Scope.PUBLIC,
                    certificate(Role.CLIENT, TokenVerdict.WRONG), Outcome.ALLOW));
        }
        rows.add(row("phase 3: a plaintext caller with a valid token is allowed", phase(3, NodeKind.PROXY), Scope.PUBLIC,
                plaintext(TokenVerdict.VALID), Outcome.ALLOW));
        rows.add(row("phase 4: a plaintext caller with a valid token passes, and audit marks it (no identity)",
                phase(4, NodeKind.PROXY), Scope.PUBLIC, plaintext(TokenVerdict.VALID), Outcome.WOULD_DENY));
        rows.add(row("phase 4 enforce: a plaintext caller with a valid token is denied (no identity)",
                phase4Enforce(NodeKind.PROXY), Scope.PUBLIC, plaintext(TokenVerdict.VALID), Outcome.PERMISSION_DENIED));

        Node five = phase(5, NodeKind.PROXY);
        rows.add(row("phase 5: a verified client needs no token", five, Scope.PUBLIC, certificate(Role.CLIENT),
                Outcome.ALLOW));
        rows.add(row("phase 5: a verified client's valid token is accepted", five, Scope.PUBLIC,
                certificate(Role.CLIENT, TokenVerdict.VALID), Outcome.ALLOW));
        for (TokenVerdict verdict : List.of(TokenVerdict.WRONG, TokenVerdict.EXPIRED, TokenVerdict.REPLAYED,
                TokenVerdict.MALFORMED, TokenVerdict.REPLAY_CACHE_FULL)) {
            rows.add(row("phase 5: a token that is sent is validated, and a " + verdict.code() + " one is unauthenticated",
                    five, Scope.PUBLIC, certificate(Role.CLIENT, verdict), Outcome.UNAUTHENTICATED));
        }
        rows.add(row("phase 5: a valid token gives a caller without a certificate nothing", five, Scope.PUBLIC,
                tlsWithoutCertificate(TokenVerdict.VALID), Outcome.PERMISSION_DENIED));

        Node six = phase(6, NodeKind.PROXY);
        for (TokenVerdict verdict : List.of(TokenVerdict.ABSENT, TokenVerdict.UNCHECKED, TokenVerdict.WRONG,
                TokenVerdict.EXPIRED)) {
            rows.add(row("phase 6: tokens are ignored, a verified client whose token is " + verdict.code() + " is allowed",
                    six, Scope.PUBLIC, certificate(Role.CLIENT, verdict), Outcome.ALLOW));
        }
        rows.add(row("phase 6: a token gives a caller without a certificate nothing", six, Scope.PUBLIC,
                plaintext(TokenVerdict.UNCHECKED), Outcome.PERMISSION_DENIED));
        return rows.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tokenRule")
    void theTokenRuleOfEachPhase(String name, Node node, Scope scope, Caller caller, Outcome expected) {
        assertOutcome(expected, decide(node, caller, method(scope)));
    }

    // ---- 2. a token never opens a privileged scope once client certificates are asked for

    private static NodeKind nodeServing(Scope scope) {
        return switch (scope) {
            case INTERNAL, MAINTENANCE -> NodeKind.STORAGE;
            case TX_VOTE, TX_REGISTER -> NodeKind.COORDINATOR;
            default -> NodeKind.PROXY;
        };
    }

    static Stream<Arguments> privilegedScopes() {
        List<Arguments> rows = new ArrayList<>();
        for (Scope scope : PRIVILEGED) {
            NodeKind kind = nodeServing(scope);
            for (Node node : phasesFrom2(kind)) {
                Caller caller = node.flags().plaintextListener() ? plaintext(TokenVerdict.VALID)
                        : tlsWithoutCertificate(TokenVerdict.VALID);
                rows.add(row(node.phase() + ": a valid token never opens " + scope + " on " + kind, node, scope, caller,
                        Outcome.PERMISSION_DENIED));
            }
            Node optionalInPhase1 = new Node("phase 1 (client-auth optional)", withClientAuth(PhaseFlags.preset(1),
                    ClientAuth.OPTIONAL), kind, List.of(), false);
            rows.add(row("phase 1 with client certificates requested: a valid token never opens " + scope, optionalInPhase1,
                    scope, plaintext(TokenVerdict.VALID), Outcome.PERMISSION_DENIED));
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("privilegedScopes")
    void aTokenNeverGrantsAPrivilegedScopeOnceClientCertificatesAreAskedFor(String name, Node node, Scope scope,
            Caller caller, Outcome expected) {
        Decision decision = decide(node, caller, method(scope));
        assertOutcome(expected, decision);
        assertTrue(decision.reason().contains("scope " + scope) && decision.reason().contains("a token never grants it")
                && decision.reason().contains(ANONYMOUS), decision.reason());
    }

    static Stream<Arguments> tokensStillOpen() {
        List<Arguments> rows = new ArrayList<>();
        for (Scope scope : PRIVILEGED) {
            NodeKind kind = nodeServing(scope);
            rows.add(row("phase 0: a valid token opens " + scope + " on " + kind, phase(0, kind), scope,
                    plaintext(TokenVerdict.VALID), Outcome.ALLOW));
            rows.add(row("phase 1: a valid token opens " + scope + " on " + kind, phase(1, kind), scope,
                    tlsWithoutCertificate(TokenVerdict.VALID), Outcome.ALLOW));
            Node noneInPhase2 = new Node("phase 2 (client-auth none)", withClientAuth(PhaseFlags.preset(2), ClientAuth.NONE),
                    kind, List.of(), false);
            rows.add(row("phase 2 with client certificates not requested: a valid token opens " + scope, noneInPhase2,
                    scope, plaintext(TokenVerdict.VALID), Outcome.ALLOW));
        }
        for (int phase : new int[] {2, 3}) {
            rows.add(row("phase " + phase + ": a valid token still opens PUBLIC on storage", phase(phase, NodeKind.STORAGE),
                    Scope.PUBLIC, plaintext(TokenVerdict.VALID), Outcome.ALLOW));
            rows.add(row("phase " + phase + ": a valid token still opens TX_REGISTER on the coordinator",
                    phase(phase, NodeKind.COORDINATOR), Scope.TX_REGISTER, plaintext(TokenVerdict.VALID), Outcome.ALLOW));
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tokensStillOpen")
    void aTokenOpensEveryScopeWhileClientCertificatesAreNotAskedFor(String name, Node node, Scope scope, Caller caller,
            Outcome expected) {
        assertOutcome(expected, decide(node, caller, method(scope)));
    }

    // ---- 3. the scope-to-role policy of section 3, with verified identities of every role

    static Stream<Arguments> roleMatrix() {
        List<Arguments> rows = new ArrayList<>();
        for (NodeKind kind : NodeKind.values()) {
            List<Node> nodes = List.of(phase(3, kind), phase(4, kind), phase4Enforce(kind), phase(6, kind));
            for (Node node : nodes) {
                for (Scope scope : SCOPES) {
                    for (Role role : Role.values()) {
                        if (role == Role.EDGE) {
                            continue;
                        }
                        boolean admitted = ADMITTED.get(kind).getOrDefault(scope, Set.of()).contains(role);
                        Outcome expected = admitted || node.flags().authorization() == AuthorizationMode.OFF ? Outcome.ALLOW
                                : node.flags().authorization() == AuthorizationMode.AUDIT ? Outcome.WOULD_DENY
                                : Outcome.PERMISSION_DENIED;
                        rows.add(row(node.phase() + ": " + role + " calling " + scope + " on " + kind + " is "
                                + expected.words, node, scope, certificate(role), expected));
                    }
                }
            }
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("roleMatrix")
    void scopesAdmitTheRolesOfSection3(String name, Node node, Scope scope, Caller caller, Outcome expected) {
        Decision decision = decide(node, caller, method(scope));
        assertOutcome(expected, decision);
        if (expected != Outcome.ALLOW) {
            assertTrue(decision.reason().contains("scope " + scope) && decision.reason().contains(caller.principal()),
                    "names the scope and the caller: " + decision.reason());
        }
    }

    // ---- 4. edges and forwarded identities

    static Stream<Arguments> edges() {
        List<Arguments> rows = new ArrayList<>();
        for (Node node : phasesFrom2(NodeKind.PROXY)) {
            String p = node.phase() + ": ";
            rows.add(row(p + "an edge forwarding nothing is denied on the proxy's PUBLIC scope", node, Scope.PUBLIC,
                    edge(null), Outcome.PERMISSION_DENIED));
            for (Role forwarded : List.of(Role.ADMIN, Role.PROXY, Role.STORAGE, Role.EDGE)) {
                rows.add(row(p + "an edge forwarding a " + forwarded + " is denied on the proxy's PUBLIC scope", node,
                        Scope.PUBLIC, edge(forwarded), Outcome.PERMISSION_DENIED));
            }
            rows.add(row(p + "an edge forwarding a client is allowed on the proxy's PUBLIC scope", node, Scope.PUBLIC,
                    edge(Role.CLIENT), Outcome.ALLOW));
        }
        Node five = phase(5, NodeKind.PROXY);
        rows.add(row("phase 5: an edge forwarding a client cannot reach the proxy's ADMIN_READ", five, Scope.ADMIN_READ,
                edge(Role.CLIENT), Outcome.PERMISSION_DENIED));
        rows.add(row("phase 5: an edge forwarding an admin cannot reach the proxy's ADMIN_WRITE", five, Scope.ADMIN_WRITE,
                edge(Role.ADMIN), Outcome.PERMISSION_DENIED));
        rows.add(row("phase 5: an edge forwarding a client cannot reach storage's PUBLIC", five.kind(NodeKind.STORAGE),
                Scope.PUBLIC, edge(Role.CLIENT), Outcome.PERMISSION_DENIED));
        rows.add(row("phase 5: an edge forwarding a proxy cannot reach storage's PUBLIC", five.kind(NodeKind.STORAGE),
                Scope.PUBLIC, edge(Role.PROXY), Outcome.PERMISSION_DENIED));
        rows.add(row("phase 5: an edge forwarding nothing cannot reach the coordinator", five.kind(NodeKind.COORDINATOR),
                Scope.TX_REGISTER, edge(null), Outcome.PERMISSION_DENIED));
        rows.add(row("phase 4: an edge forwarding a client to the proxy's ADMIN_READ is a would-deny",
                phase(4, NodeKind.PROXY), Scope.ADMIN_READ, edge(Role.CLIENT), Outcome.WOULD_DENY));
        Caller forwardsForeignClient = new Caller(Transport.MTLS, identity(OWN, Role.EDGE), TokenVerdict.ABSENT,
                identity(OTHER, Role.CLIENT), HOST);
        rows.add(row("phase 5: an edge forwarding a client of another trust domain is denied", five, Scope.PUBLIC,
                forwardsForeignClient, Outcome.PERMISSION_DENIED));
        // A forwarded identity counts only from an edge: any other peer carrying one is judged as itself.
        for (Role peer : List.of(Role.PROXY, Role.STORAGE, Role.AUDITOR)) {
            Caller carriesClient = new Caller(Transport.MTLS, identity(OWN, peer), TokenVerdict.ABSENT,
                    identity(OWN, Role.CLIENT), HOST);
            rows.add(row("phase 5: a " + peer + " carrying a forwarded client is judged as itself on the proxy's PUBLIC",
                    five, Scope.PUBLIC, carriesClient, Outcome.PERMISSION_DENIED));
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("edges")
    void anEdgeOnlyEverActsForAForwardedClientOnTheProxysPublicScope(String name, Node node, Scope scope, Caller caller,
            Outcome expected) {
        assertOutcome(expected, decide(node, caller, method(scope)));
    }

    // ---- 5. other trust domains

    static Stream<Arguments> trustDomains() {
        Node proxy = phase(5, NodeKind.PROXY);
        Node storage = phase(5, NodeKind.STORAGE);
        ScopePolicy.Rule otherClientsOnPublic = new ScopePolicy.Rule(Scope.PUBLIC, Set.of(Role.CLIENT), Set.of(OTHER));
        ScopePolicy.Rule otherAuditorsOnAdminRead = new ScopePolicy.Rule(Scope.ADMIN_READ, Set.of(Role.AUDITOR),
                Set.of(OTHER));
        ScopePolicy.Rule otherStorageVotes = new ScopePolicy.Rule(Scope.TX_VOTE, Set.of(Role.STORAGE), Set.of(OTHER));
        return Stream.of(
                row("phase 5: a client of another trust domain is denied the proxy's PUBLIC scope", proxy, Scope.PUBLIC,
                        certificateOf(OTHER, Role.CLIENT), Outcome.PERMISSION_DENIED),
                row("phase 5: an admin of another trust domain is denied ADMIN_READ", storage, Scope.ADMIN_READ,
                        certificateOf(OTHER, Role.ADMIN), Outcome.PERMISSION_DENIED),
                row("phase 4: a client of another trust domain is a would-deny in audit", phase(4, NodeKind.PROXY),
                        Scope.PUBLIC, certificateOf(OTHER, Role.CLIENT), Outcome.WOULD_DENY),
                row("phase 5: a rule admitting that domain's clients lets them call PUBLIC",
                        proxy.rules(otherClientsOnPublic), Scope.PUBLIC, certificateOf(OTHER, Role.CLIENT), Outcome.ALLOW),
                row("phase 5: the rule admits only the role it names", proxy.rules(otherClientsOnPublic), Scope.PUBLIC,
                        certificateOf(OTHER, Role.ADMIN), Outcome.PERMISSION_DENIED),
                row("phase 5: the rule admits only the scope it names", proxy.rules(otherClientsOnPublic), Scope.ADMIN_READ,
                        certificateOf(OTHER, Role.CLIENT), Outcome.PERMISSION_DENIED),
                row("phase 5: the rule admits only the trust domain it names", proxy.rules(otherClientsOnPublic),
                        Scope.PUBLIC, certificateOf(THIRD, Role.CLIENT), Outcome.PERMISSION_DENIED),
                row("phase 5: the rule leaves this domain's own clients allowed", proxy.rules(otherClientsOnPublic),
                        Scope.PUBLIC, certificate(Role.CLIENT), Outcome.ALLOW),
                row("phase 5: a rule admits another domain's auditors to ADMIN_READ", storage.rules(otherAuditorsOnAdminRead),
                        Scope.ADMIN_READ, certificateOf(OTHER, Role.AUDITOR), Outcome.ALLOW),
                row("phase 5: an auditors rule does not admit that domain's admins", storage.rules(otherAuditorsOnAdminRead),
                        Scope.ADMIN_READ, certificateOf(OTHER, Role.ADMIN), Outcome.PERMISSION_DENIED),
                row("phase 5: a rule admits another domain's storage nodes to vote",
                        phase(5, NodeKind.COORDINATOR).rules(otherStorageVotes), Scope.TX_VOTE,
                        certificateOf(OTHER, Role.STORAGE), Outcome.ALLOW));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("trustDomains")
    void otherTrustDomainsAreDeniedUnlessARuleAdmitsThem(String name, Node node, Scope scope, Caller caller,
            Outcome expected) {
        Decision decision = decide(node, caller, method(scope));
        assertOutcome(expected, decision);
        if (expected != Outcome.ALLOW && !caller.identity().trustDomain().equals(OWN)) {
            assertTrue(decision.reason().contains("trust domain " + caller.identity().trustDomain()
                    + " is not admitted"), decision.reason());
        }
    }

    // ---- 6. the insecure direct-client option

    static Stream<Arguments> directClients() {
        Node storage = phase(5, NodeKind.STORAGE);
        Node insecure = storage.allowingDirectClientStorage();
        return Stream.of(
                row("phase 5: a client is denied storage's PUBLIC scope", storage, Scope.PUBLIC, certificate(Role.CLIENT),
                        Outcome.PERMISSION_DENIED),
                row("phase 5, insecure-allow-direct-client-storage: a client may call storage's PUBLIC scope", insecure,
                        Scope.PUBLIC, certificate(Role.CLIENT), Outcome.ALLOW),
                row("phase 5, insecure-allow-direct-client-storage: the proxy still may too", insecure, Scope.PUBLIC,
                        certificate(Role.PROXY), Outcome.ALLOW),
                row("phase 5, insecure-allow-direct-client-storage: INTERNAL stays closed to clients", insecure,
                        Scope.INTERNAL, certificate(Role.CLIENT), Outcome.PERMISSION_DENIED),
                row("phase 5, insecure-allow-direct-client-storage: MAINTENANCE stays closed to clients", insecure,
                        Scope.MAINTENANCE, certificate(Role.CLIENT), Outcome.PERMISSION_DENIED),
                row("phase 5, insecure-allow-direct-client-storage: a client of another domain stays out", insecure,
                        Scope.PUBLIC, certificateOf(OTHER, Role.CLIENT), Outcome.PERMISSION_DENIED),
                row("phase 5, insecure-allow-direct-client-storage: the proxy's ADMIN_READ stays closed to clients",
                        phase(5, NodeKind.PROXY).allowingDirectClientStorage(), Scope.ADMIN_READ,
                        certificate(Role.CLIENT), Outcome.PERMISSION_DENIED));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("directClients")
    void insecureDirectClientStorageOpensOnlyStoragesPublicScope(String name, Node node, Scope scope, Caller caller,
            Outcome expected) {
        assertOutcome(expected, decide(node, caller, method(scope)));
    }

    // ---- 7. methods without a scope

    static Stream<Arguments> unannotated() {
        List<Arguments> rows = new ArrayList<>();
        for (NodeKind kind : NodeKind.values()) {
            for (Node node : everyPhase(kind)) {
                rows.add(Arguments.of(node + ": a method without a scope is denied to a caller with a valid token", node,
                        plaintext(TokenVerdict.VALID)));
                rows.add(Arguments.of(node + ": a method without a scope is denied to a verified admin", node,
                        certificate(Role.ADMIN, TokenVerdict.VALID)));
                rows.add(Arguments.of(node + ": a method without a scope is denied to an edge forwarding a client", node,
                        edge(Role.CLIENT)));
            }
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unannotated")
    void aMethodWithoutAScopeIsAlwaysDenied(String name, Node node, Caller caller) {
        Decision decision = decide(node, caller, null);
        assertOutcome(Outcome.PERMISSION_DENIED, decision);
        assertTrue(decision.reason().contains("no scope"), decision.reason());
    }

    // ---- 8. what a denial says

    static Stream<Arguments> denialMessages() {
        Node proxy = phase(5, NodeKind.PROXY);
        return Stream.of(
                Arguments.of("an auditor calling ADMIN_WRITE is named with the scope", proxy, Scope.ADMIN_WRITE,
                        certificate(Role.AUDITOR), "spiffe://gitward.local/auditor/auditor-1"),
                Arguments.of("a client calling storage's ADMIN_READ is named with the scope", proxy.kind(NodeKind.STORAGE),
                        Scope.ADMIN_READ, certificate(Role.CLIENT), "spiffe://gitward.local/client/client-1"),
                Arguments.of("a storage node registering a transaction is named with the scope",
                        proxy.kind(NodeKind.COORDINATOR), Scope.TX_REGISTER, certificate(Role.STORAGE),
                        "spiffe://gitward.local/storage/storage-1"),
                Arguments.of("a client of another domain is named with its domain", proxy, Scope.PUBLIC,
                        certificateOf(OTHER, Role.CLIENT), "spiffe://other.cell/client/client-1"),
                Arguments.of("an edge forwarding nothing is named", proxy, Scope.PUBLIC, edge(null),
                        "spiffe://gitward.local/edge/edge-1"),
                Arguments.of("an edge forwarding an admin to PUBLIC is named", proxy, Scope.PUBLIC, edge(Role.ADMIN),
                        "spiffe://gitward.local/edge/edge-1"),
                Arguments.of("an edge forwarding an admin to ADMIN_WRITE is named as the edge it is", proxy,
                        Scope.ADMIN_WRITE, edge(Role.ADMIN), "spiffe://gitward.local/edge/edge-1"),
                Arguments.of("an edge forwarding a client to storage is named as the edge it is", proxy.kind(NodeKind.STORAGE),
                        Scope.PUBLIC, edge(Role.CLIENT), "spiffe://gitward.local/edge/edge-1"),
                Arguments.of("a token caller is named by its address", phase(3, NodeKind.PROXY), Scope.ADMIN_READ,
                        plaintext(TokenVerdict.VALID), ANONYMOUS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("denialMessages")
    void anEnforcedDenialNamesTheScopeAndTheCaller(String name, Node node, Scope scope, Caller caller, String who) {
        Decision decision = decide(node, caller, method(scope));
        assertOutcome(Outcome.PERMISSION_DENIED, decision);
        assertTrue(decision.reason().contains(scope.name()), decision.reason());
        assertTrue(decision.reason().contains(who), "expected " + who + " in: " + decision.reason());
    }

    static Stream<Arguments> health() {
        List<Arguments> rows = new ArrayList<>();
        for (NodeKind kind : NodeKind.values()) {
            for (Node node : everyPhase(kind)) {
                rows.add(row(node + ": anyone without a credential may ask for the serving status", node, Scope.HEALTH,
                        plaintext(TokenVerdict.ABSENT), Outcome.ALLOW));
                rows.add(row(node + ": an edge may ask for the serving status", node, Scope.HEALTH, edge(null),
                        Outcome.ALLOW));
            }
        }
        return rows.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("health")
    void healthIsOpenToAnyoneInEveryPhase(String name, Node node, Scope scope, Caller caller, Outcome expected) {
        assertOutcome(expected, decide(node, caller, method(scope)));
    }
}
