package io.gitward.security.identity;

import static java.util.Objects.requireNonNull;

/**
 * Who a peer is: trust domain + role + name, written {@code spiffe://<trust-domain>/<role>/<name>}.
 *
 * <p>Immutable and valid by construction. Parsing is strict: anything outside the grammar is
 * rejected, never normalized (no case folding, percent-decoding or dot-segment removal).
 */
public record NodeIdentity(TrustDomain trustDomain, Role role, String name) {
    public static final String SCHEME_PREFIX = "spiffe://";

    public NodeIdentity {
        requireNonNull(trustDomain, "trustDomain");
        requireNonNull(role, "role");
        requireNonNull(name, "name");
        String problem = Names.nameProblem(name);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** Builds an identity from operator input (CLI, config), with messages that quote the bad value. */
    public static NodeIdentity of(String trustDomain, String role, String name) {
        return new NodeIdentity(TrustDomain.of(trustDomain), Role.parse(role), name);
    }

    /** Returns why {@code name} is not a valid node name, or null. */
    public static String nameProblem(String name) {
        return Names.nameProblem(name);
    }

    /** Parses a SPIFFE ID of the form {@code spiffe://td/role/name}. */
    public static NodeIdentity parseSpiffeId(String uri) throws InvalidIdentityException {
        requireNonNull(uri, "uri");
        if (!uri.startsWith(SCHEME_PREFIX)) {
            throw malformed(uri, "expected scheme 'spiffe://'");
        }
        if (Names.hasControlCharacter(uri)) {
            throw malformed(uri, "contains a control character");
        }
        for (char forbidden : new char[] {'%', '?', '#', '@', ':', '\\'}) {
            if (uri.indexOf(forbidden, SCHEME_PREFIX.length()) >= 0) {
                throw malformed(uri, "contains '" + forbidden
                        + "' (no percent-encoding, query, fragment, user-info or port)");
            }
        }
        String rest = uri.substring(SCHEME_PREFIX.length());
        String[] parts = rest.split("/", -1);
        if (parts.length != 3) {
            throw malformed(uri, "expected exactly two path segments: /<role>/<name>");
        }
        String domainProblem = TrustDomain.problemWith(parts[0]);
        if (domainProblem != null) {
            throw new InvalidIdentityException(IdentityProblem.INVALID_TRUST_DOMAIN,
                    "spiffe id '" + Names.printable(uri) + "': " + domainProblem);
        }
        for (int i = 1; i < parts.length; i++) {
            if (parts[i].isEmpty() || parts[i].equals(".") || parts[i].equals("..")) {
                throw malformed(uri, "empty, '.' or '..' path segment");
            }
        }
        Role role = Role.fromWireName(parts[1]).orElseThrow(() -> new InvalidIdentityException(
                IdentityProblem.UNKNOWN_ROLE, "spiffe id '" + Names.printable(uri) + "': unknown role '"
                + Names.printable(parts[1]) + "' (expected one of: " + Role.allWireNames() + ")"));
        String nameProblem = Names.nameProblem(parts[2]);
        if (nameProblem != null) {
            throw new InvalidIdentityException(IdentityProblem.INVALID_NAME,
                    "spiffe id '" + Names.printable(uri) + "': " + nameProblem);
        }
        return new NodeIdentity(new TrustDomain(parts[0]), role, parts[2]);
    }

    private static InvalidIdentityException malformed(String uri, String why) {
        return new InvalidIdentityException(IdentityProblem.MALFORMED_SPIFFE_ID,
                "spiffe id '" + Names.printable(uri) + "': " + why);
    }

    /** The SPIFFE ID, the authoritative form written into the URI SAN. */
    public String spiffeId() {
        return SCHEME_PREFIX + trustDomain.name() + "/" + role.wireName() + "/" + name;
    }

    /** The subject written beside the SPIFFE ID, in RFC 4514 order (most specific first). */
    public String subjectDn() {
        return "CN=" + name + ",OU=" + role.wireName() + ",O=" + trustDomain.name();
    }

    /** Short form used in messages and audit keys: {@code role/name}. */
    public String roleAndName() {
        return role.wireName() + "/" + name;
    }

    @Override
    public String toString() {
        return spiffeId();
    }
}
