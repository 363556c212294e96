package io.gitward.security.authz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.Scope;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.server.NodeKind;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Operator rules: the invariants of design.md section 3 refuse a rule when the policy is built; legal rules apply. */
class ScopePolicyTest {
    private static final TrustDomain OWN = TrustDomain.of("gitward.local");
    private static final TrustDomain OTHER = TrustDomain.of("other.cell");

    private static ScopePolicy.Rule rule(Scope scope, Role... roles) {
        return new ScopePolicy.Rule(scope, roles.length == 0 ? Set.of() : EnumSet.of(roles[0], roles), Set.of());
    }

    private static ScopePolicy.Rule crossDomain(Scope scope, Role role, TrustDomain... domains) {
        return new ScopePolicy.Rule(scope, Set.of(role), Set.of(domains));
    }

    private static NodeIdentity identity(TrustDomain domain, Role role) {
        return new NodeIdentity(domain, role, role.wireName() + "-1");
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("ADMIN_READ for client is refused", rule(Scope.ADMIN_READ, Role.CLIENT), "client"),
                Arguments.of("ADMIN_READ for storage is refused", rule(Scope.ADMIN_READ, Role.STORAGE), "storage"),
                Arguments.of("ADMIN_READ for edge is refused", rule(Scope.ADMIN_READ, Role.EDGE), "edge"),
                Arguments.of("ADMIN_WRITE for client is refused", rule(Scope.ADMIN_WRITE, Role.CLIENT), "client"),
                Arguments.of("ADMIN_WRITE for storage is refused", rule(Scope.ADMIN_WRITE, Role.STORAGE), "storage"),
                Arguments.of("ADMIN_WRITE for edge is refused", rule(Scope.ADMIN_WRITE, Role.EDGE), "edge"),
                Arguments.of("ADMIN_WRITE for an auditor beside a client is refused",
                        rule(Scope.ADMIN_WRITE, Role.AUDITOR, Role.CLIENT), "client"),
                Arguments.of("INTERNAL for proxy is refused", rule(Scope.INTERNAL, Role.PROXY), "proxy"),
                Arguments.of("INTERNAL for client is refused", rule(Scope.INTERNAL, Role.CLIENT), "client"),
                Arguments.of("INTERNAL for admin is refused", rule(Scope.INTERNAL, Role.ADMIN), "admin"),
                Arguments.of("INTERNAL for coordinator is refused", rule(Scope.INTERNAL, Role.COORDINATOR), "coordinator"),
                Arguments.of("INTERNAL for storage and proxy is refused", rule(Scope.INTERNAL, Role.STORAGE, Role.PROXY),
                        "proxy"),
                Arguments.of("TX_VOTE for proxy is refused", rule(Scope.TX_VOTE, Role.PROXY), "proxy"),
                Arguments.of("TX_VOTE for coordinator is refused", rule(Scope.TX_VOTE, Role.COORDINATOR), "coordinator"),
                Arguments.of("TX_VOTE for admin is refused", rule(Scope.TX_VOTE, Role.ADMIN), "admin"),
                Arguments.of("TX_VOTE for edge is refused", rule(Scope.TX_VOTE, Role.EDGE), "edge"),
                Arguments.of("PUBLIC for edge is refused", rule(Scope.PUBLIC, Role.EDGE), "edge"),
                Arguments.of("MAINTENANCE for edge is refused", rule(Scope.MAINTENANCE, Role.EDGE), "edge"),
                Arguments.of("TX_REGISTER for edge is refused", rule(Scope.TX_REGISTER, Role.EDGE), "edge"),
                Arguments.of("a HEALTH rule is refused", rule(Scope.HEALTH, Role.ADMIN), "HEALTH"),
                Arguments.of("a HEALTH rule without roles is refused", rule(Scope.HEALTH), "HEALTH"),
                Arguments.of("a rule for the unspecified scope is refused", rule(Scope.SCOPE_UNSPECIFIED, Role.ADMIN),
                        "SCOPE_UNSPECIFIED"),
                Arguments.of("ADMIN_READ for storage of another domain is refused",
                        crossDomain(Scope.ADMIN_READ, Role.STORAGE, OTHER), "storage"),
                Arguments.of("INTERNAL for proxies of another domain is refused",
                        crossDomain(Scope.INTERNAL, Role.PROXY, OTHER), "proxy"),
                Arguments.of("PUBLIC for edges of another domain is refused", crossDomain(Scope.PUBLIC, Role.EDGE, OTHER),
                        "edge"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void rulesThatBreakAnInvariantAreRefusedOnEveryKindOfNode(String name, ScopePolicy.Rule rule, String role) {
        for (NodeKind kind : NodeKind.values()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ScopePolicy.of(kind, OWN, List.of(rule), false));
            assertTrue(e.getMessage().startsWith("rule for " + rule.scope()), kind + ": " + e.getMessage());
            assertTrue(e.getMessage().contains(role), kind + ": " + e.getMessage());
        }
    }

    @Test
    void aLegalRuleBeforeAnIllegalOneDoesNotSaveThePolicy() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScopePolicy.of(NodeKind.PROXY, OWN,
                List.of(rule(Scope.ADMIN_READ, Role.PROXY), rule(Scope.ADMIN_WRITE, Role.CLIENT)), false));
        assertTrue(e.getMessage().startsWith("rule for ADMIN_WRITE names role client"), e.getMessage());
    }

    static Stream<Arguments> legal() {
        return Stream.of(
                Arguments.of("ADMIN_READ for proxy lets the proxy read storage's status", NodeKind.STORAGE,
                        rule(Scope.ADMIN_READ, Role.PROXY), identity(OWN, Role.PROXY), Scope.ADMIN_READ),
                Arguments.of("ADMIN_WRITE for auditor lets auditors change the cluster", NodeKind.PROXY,
                        rule(Scope.ADMIN_WRITE, Role.AUDITOR), identity(OWN, Role.AUDITOR), Scope.ADMIN_WRITE),
                Arguments.of("ADMIN_WRITE for coordinator is allowed", NodeKind.COORDINATOR,
                        rule(Scope.ADMIN_WRITE, Role.COORDINATOR), identity(OWN, Role.COORDINATOR), Scope.ADMIN_WRITE),
                Arguments.of("MAINTENANCE for admin lets operators reconcile", NodeKind.STORAGE,
                        rule(Scope.MAINTENANCE, Role.ADMIN), identity(OWN, Role.ADMIN), Scope.MAINTENANCE),
                Arguments.of("PUBLIC for client opens storage to clients", NodeKind.STORAGE, rule(Scope.PUBLIC, Role.CLIENT),
                        identity(OWN, Role.CLIENT), Scope.PUBLIC),
                Arguments.of("TX_REGISTER for admin lets operators cancel transactions", NodeKind.COORDINATOR,
                        rule(Scope.TX_REGISTER, Role.ADMIN), identity(OWN, Role.ADMIN), Scope.TX_REGISTER),
                Arguments.of("INTERNAL for storage on the proxy is allowed", NodeKind.PROXY, rule(Scope.INTERNAL, Role.STORAGE),
                        identity(OWN, Role.STORAGE), Scope.INTERNAL),
                Arguments.of("TX_VOTE for storage of another domain lets them vote", NodeKind.COORDINATOR,
                        crossDomain(Scope.TX_VOTE, Role.STORAGE, OTHER), identity(OTHER, Role.STORAGE), Scope.TX_VOTE),
                Arguments.of("ADMIN_READ for auditors of another domain lets them read", NodeKind.STORAGE,
                        crossDomain(Scope.ADMIN_READ, Role.AUDITOR, OTHER), identity(OTHER, Role.AUDITOR), Scope.ADMIN_READ),
                Arguments.of("ADMIN_READ for proxies of this and another domain admits this domain's proxies too",
                        NodeKind.STORAGE, crossDomain(Scope.ADMIN_READ, Role.PROXY, OWN, OTHER), identity(OWN, Role.PROXY),
                        Scope.ADMIN_READ),
                Arguments.of("ADMIN_READ for proxies of this and another domain admits the other domain's proxies",
                        NodeKind.STORAGE, crossDomain(Scope.ADMIN_READ, Role.PROXY, OWN, OTHER), identity(OTHER, Role.PROXY),
                        Scope.ADMIN_READ));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("legal")
    void legalRulesTakeEffect(String name, NodeKind kind, ScopePolicy.Rule rule, NodeIdentity caller, Scope scope) {
        assertFalse(ScopePolicy.of(kind, OWN, List.of(), false).allows(caller, scope), "not allowed without the rule");
        ScopePolicy policy = ScopePolicy.of(kind, OWN, List.of(rule), false);
        assertTrue(policy.allows(caller, scope), "allowed with the rule");
        for (Scope other : List.of(Scope.PUBLIC, Scope.INTERNAL, Scope.MAINTENANCE, Scope.ADMIN_READ, Scope.ADMIN_WRITE,
                Scope.TX_REGISTER, Scope.TX_VOTE)) {
            if (other != scope) {
                assertEquals(ScopePolicy.of(kind, OWN, List.of(), false).allows(caller, other), policy.allows(caller, other),
                        "the rule changes nothing on " + other);
            }
        }
    }

    @Test
    void ownDomainRulesAddToTheDefaultsAndShowInRolesFor() {
        ScopePolicy policy = ScopePolicy.of(NodeKind.STORAGE, OWN, List.of(rule(Scope.ADMIN_READ, Role.PROXY)), false);
        assertEquals(Set.of(Role.ADMIN, Role.AUDITOR, Role.PROXY), policy.rolesFor(Scope.ADMIN_READ));
        assertTrue(policy.allows(identity(OWN, Role.AUDITOR), Scope.ADMIN_READ), "defaults stay");
        assertFalse(policy.allows(identity(OTHER, Role.PROXY), Scope.ADMIN_READ), "own-domain rules admit no other domain");
    }

    @Test
    void crossDomainRulesDoNotAddRolesForTheOwnDomain() {
        ScopePolicy policy = ScopePolicy.of(NodeKind.STORAGE, OWN, List.of(crossDomain(Scope.ADMIN_READ, Role.PROXY, OTHER)),
                false);
        assertFalse(policy.allows(identity(OWN, Role.PROXY), Scope.ADMIN_READ));
        assertEquals(Set.of(Role.ADMIN, Role.AUDITOR), policy.rolesFor(Scope.ADMIN_READ));
    }

    @Test
    void anotherDomainGetsNothingFromTheDefaults() {
        ScopePolicy policy = ScopePolicy.of(NodeKind.PROXY, OWN, List.of(), false);
        for (Role role : Role.values()) {
            for (Scope scope : Scope.values()) {
                if (scope != Scope.UNRECOGNIZED) {
                    assertFalse(policy.allows(identity(OTHER, role), scope), role + " of another domain on " + scope);
                }
            }
        }
    }

    @Test
    void healthHasNoRolesBecauseItIsServedOnItsOwnListener() {
        for (NodeKind kind : NodeKind.values()) {
            assertEquals(Set.of(), ScopePolicy.of(kind, OWN, List.of(), true).rolesFor(Scope.HEALTH), kind.toString());
        }
    }
}
