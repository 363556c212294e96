package io.gitward.security.authz;

import io.gitward.proto.Scope;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.identity.TrustDomain;
import io.gitward.security.server.NodeKind;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which roles may call each scope on one kind of node (design.md section 3), plus operator rules that add
 * roles or admit other trust domains. Rules that would break an invariant are refused when the policy is
 * built, so they can never take effect. Immutable.
 */
public final class ScopePolicy {
    /** An operator rule: {@code roles} of {@code trustDomains} (empty: this node's own) may call {@code scope}. */
    public record Rule(Scope scope, Set<Role> roles, Set<TrustDomain> trustDomains) {
        public Rule {
            roles = Set.copyOf(roles);
            trustDomains = Set.copyOf(trustDomains);
        }
    }

    private final NodeKind kind;
    private final TrustDomain ownDomain;
    private final Map<Scope, Set<Role>> ownDomainRoles;
    private final List<Rule> crossDomainRules;

    private ScopePolicy(NodeKind kind, TrustDomain ownDomain, Map<Scope, Set<Role>> ownDomainRoles,
            List<Rule> crossDomainRules) {
        this.kind = kind;
        this.ownDomain = ownDomain;
        this.ownDomainRoles = ownDomainRoles;
        this.crossDomainRules = List.copyOf(crossDomainRules);
    }

    /**
     * Builds the policy of {@code kind}.
     *
     * @param allowDirectClientStorage the explicitly insecure option that lets {@code client} call storage's PUBLIC scope
     * @throws IllegalArgumentException naming the first rule that breaks an invariant
     */
    public static ScopePolicy of(NodeKind kind, TrustDomain ownDomain, List<Rule> rules, boolean allowDirectClientStorage) {
        Map<Scope, Set<Role>> roles = defaults(kind, allowDirectClientStorage);
        List<Rule> crossDomain = new ArrayList<>();
        for (Rule rule : rules) {
            String violation = invariantViolation(rule);
            if (violation != null) {
                throw new IllegalArgumentException(violation);
            }
            if (rule.trustDomains().isEmpty() || rule.trustDomains().contains(ownDomain)) {
                roles.computeIfAbsent(rule.scope(), scope -> EnumSet.noneOf(Role.class)).addAll(rule.roles());
            }
            if (!rule.trustDomains().isEmpty()) {
                crossDomain.add(rule);
            }
        }
        return new ScopePolicy(kind, ownDomain, roles, crossDomain);
    }

    /** The defaults of design.md section 3 for one kind of node. */
    static Map<Scope, Set<Role>> defaults(NodeKind kind, boolean allowDirectClientStorage) {
        Map<Scope, Set<Role>> roles = new EnumMap<>(Scope.class);
        roles.put(Scope.ADMIN_READ, EnumSet.of(Role.ADMIN, Role.AUDITOR));
        switch (kind) {
            case PROXY -> {
                roles.put(Scope.PUBLIC, EnumSet.of(Role.CLIENT));
                roles.put(Scope.ADMIN_WRITE, EnumSet.of(Role.ADMIN));
                // The embedded coordinator: storage nodes vote on the proxy's listener.
                roles.put(Scope.TX_VOTE, EnumSet.of(Role.STORAGE));
                roles.put(Scope.TX_REGISTER, EnumSet.of(Role.PROXY));
            }
            case STORAGE -> {
                roles.put(Scope.PUBLIC, allowDirectClientStorage ? EnumSet.of(Role.PROXY, Role.CLIENT) : EnumSet.of(Role.PROXY));
                roles.put(Scope.INTERNAL, EnumSet.of(Role.STORAGE));
                roles.put(Scope.MAINTENANCE, EnumSet.of(Role.PROXY));
            }
            case COORDINATOR -> {
                roles.put(Scope.TX_REGISTER, EnumSet.of(Role.PROXY));
                roles.put(Scope.TX_VOTE, EnumSet.of(Role.STORAGE));
            }
            case GATEWAY -> {
                // Only its admin surface: node info and security status for operators.
            }
            case SIDECAR -> {
                // The fronted app's routes name these scopes; other scopes need a rule (invariants still hold).
                roles.put(Scope.PUBLIC, EnumSet.of(Role.CLIENT));
                roles.put(Scope.ADMIN_WRITE, EnumSet.of(Role.ADMIN));
            }
            default -> throw new IllegalArgumentException("unknown node kind " + kind);
        }
        return roles;
    }

    /** The invariants no configuration may override; null when the rule respects them. */
    static String invariantViolation(Rule rule) {
        Set<Role> roles = rule.roles();
        switch (rule.scope()) {
            case ADMIN_READ, ADMIN_WRITE -> {
                for (Role forbidden : List.of(Role.CLIENT, Role.STORAGE, Role.EDGE)) {
                    if (roles.contains(forbidden)) {
                        return "rule for " + rule.scope() + " names role " + forbidden + " (ADMIN_* is never for client, "
                                + "storage or edge)";
                    }
                }
            }
            case INTERNAL -> {
                if (!Set.of(Role.STORAGE).containsAll(roles)) {
                    return "rule for INTERNAL names " + roles + " (INTERNAL is only for storage)";
                }
            }
            case TX_VOTE -> {
                if (!Set.of(Role.STORAGE).containsAll(roles)) {
                    return "rule for TX_VOTE names " + roles + " (only storage nodes vote, each only as itself)";
                }
            }
            case HEALTH, SCOPE_UNSPECIFIED, UNRECOGNIZED -> {
                return "rule for " + rule.scope() + " (not a scope rules can change)";
            }
            default -> {
                if (roles.contains(Role.EDGE)) {
                    return "rule for " + rule.scope() + " names role edge (an edge only forwards client identities)";
                }
            }
        }
        return null;
    }

    /** Whether {@code identity} may call {@code scope} on this node. */
    public boolean allows(NodeIdentity identity, Scope scope) {
        if (identity.trustDomain().equals(ownDomain)) {
            Set<Role> roles = ownDomainRoles.get(scope);
            return roles != null && roles.contains(identity.role());
        }
        for (Rule rule : crossDomainRules) {
            if (rule.scope() == scope && rule.roles().contains(identity.role())
                    && rule.trustDomains().contains(identity.trustDomain())) {
                return true;
            }
        }
        return false;
    }

    /** The roles of this node's own trust domain that may call {@code scope}, for denial messages. */
    public Set<Role> rolesFor(Scope scope) {
        Set<Role> roles = ownDomainRoles.get(scope);
        return roles == null ? Set.of() : Set.copyOf(roles);
    }

    public NodeKind kind() {
        return kind;
    }

    public TrustDomain ownDomain() {
        return ownDomain;
    }
}
