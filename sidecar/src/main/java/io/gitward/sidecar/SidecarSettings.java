package io.gitward.sidecar;

import com.typesafe.config.Config;
import io.gitward.proto.Scope;
import io.gitward.security.config.GitwardConfig;
import io.gitward.security.identity.InvalidIdentityException;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.identity.Role;
import io.gitward.security.server.ListenAddress;
import io.gitward.security.server.NodeSettings;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The sidecar's own keys ({@code sidecar.*}), read and validated at once; problems are recorded in the config.
 *
 * @param role           the role of the sidecar's certificate (the fronted service's)
 * @param inbound        the inbound mode, or null
 * @param outbound       the outbound mode, or null
 * @param connectTimeout TCP connect plus TLS handshake towards the app or the peer
 */
record SidecarSettings(Role role, Inbound inbound, Outbound outbound, Duration connectTimeout) {
    /** What HTTP the local app speaks in inbound mode. */
    enum TargetProtocol { HTTP1, H2C }

    /**
     * @param listen         the TLS listener callers reach
     * @param target         the local app (loopback)
     * @param targetProtocol how the app is spoken to
     * @param routes         path prefix to scope
     * @param identityHeader the header that carries the verified caller to the app
     */
    record Inbound(ListenAddress listen, ListenAddress target, TargetProtocol targetProtocol, InboundRoutes routes,
            String identityHeader) {
    }

    /**
     * @param listen       the loopback plaintext listener the app calls
     * @param peerIdentity the SPIFFE ID the peer must present (pinned)
     * @param peerAddress  the peer's TLS listener
     */
    record Outbound(ListenAddress listen, NodeIdentity peerIdentity, ListenAddress peerAddress) {
    }

    static SidecarSettings read(GitwardConfig config, NodeSettings node) {
        Role role = role(config, node);
        Inbound inbound = config.isSet("sidecar.inbound.listen") && config.string("sidecar.inbound.listen") != null
                ? inbound(config) : null;
        Outbound outbound = config.isSet("sidecar.outbound.listen") && config.string("sidecar.outbound.listen") != null
                ? outbound(config, node) : null;
        if (inbound == null && outbound == null) {
            config.problems().add("sidecar", "neither sidecar.inbound.listen nor sidecar.outbound.listen is set (expected:"
                    + " at least one mode)");
        }
        if (node.phase() < 2) {
            config.problems().add("security.phase", node.phase() + " (a sidecar presents its certificate and verifies its"
                    + " peers: expected phase 2 or later)");
        }
        for (String required : new String[] {"security.tls.key", "security.tls.certificate-chain",
                "security.trust.roots"}) {
            if (!config.isSet(required)) {
                config.problems().add(required, "missing (a sidecar always holds the fronted service's key, chain and"
                        + " the trust bundle; make them with: gitward pki issue)");
            }
        }
        Duration connectTimeout = config.duration("sidecar.connect-timeout");
        return new SidecarSettings(role, inbound, outbound, connectTimeout);
    }

    private static Role role(GitwardConfig config, NodeSettings node) {
        String key = "sidecar.role";
        String value = config.requiredString(key, "the fronted service's role: " + Role.allWireNames());
        if (value == null) {
            return null;
        }
        Role role = Role.fromWireName(value).orElse(null);
        if (role == null) {
            config.problems().add(key, "'" + value + "' (expected one of: " + Role.allWireNames() + ")");
            return null;
        }
        if (node.identity() != null && node.identity().role() != role) {
            config.problems().add(key, "'" + value + "' but security.tls.certificate-chain names " + node.identity()
                    + " (expected: the role in the certificate, or a certificate of role " + value + ")");
        }
        return role;
    }

    private static Inbound inbound(GitwardConfig config) {
        ListenAddress listen = address(config, "sidecar.inbound.listen", false);
        ListenAddress target = address(config, "sidecar.inbound.target", true);
        TargetProtocol protocol = config.enumValue("sidecar.inbound.target-protocol", TargetProtocol.class,
                TargetProtocol.HTTP1);
        InboundRoutes routes = routes(config);
        String header = config.requiredString("sidecar.inbound.identity-header", "a header name");
        if (header != null && !header.matches("[a-z0-9-]{1,64}")) {
            config.problems().add("sidecar.inbound.identity-header", "'" + header
                    + "' (expected 1 to 64 lower-case letters, digits and '-')");
        }
        return new Inbound(listen, target, protocol, routes, header);
    }

    private static InboundRoutes routes(GitwardConfig config) {
        String key = "sidecar.inbound.routes";
        List<InboundRoutes.Route> routes = new ArrayList<>();
        List<? extends Config> entries;
        try {
            entries = config.raw().getConfigList(key);
        } catch (com.typesafe.config.ConfigException e) {
            config.problems().add(key, "not a list of {path, scope} (expected e.g. [{path = \"/api/\", scope = PUBLIC}])");
            return new InboundRoutes(routes);
        }
        if (entries.isEmpty()) {
            config.problems().add(key, "empty (expected at least one {path, scope}; a path no route matches is denied)");
        }
        for (int i = 0; i < entries.size(); i++) {
            Config entry = entries.get(i);
            String at = key + "[" + i + "]";
            String path = entry.hasPath("path") ? entry.getString("path") : null;
            String scopeText = entry.hasPath("scope") ? entry.getString("scope") : null;
            for (String field : entry.root().keySet()) {
                if (!field.equals("path") && !field.equals("scope")) {
                    config.problems().add(at + "." + field, "unknown field (expected: path, scope)");
                }
            }
            String pathProblem = InboundRoutes.pathProblem(path);
            if (pathProblem != null) {
                config.problems().add(at + ".path", pathProblem);
                continue;
            }
            Scope scope = scope(scopeText);
            if (scope == null) {
                config.problems().add(at + ".scope", "'" + scopeText + "' (expected one of: " + InboundRoutes.SCOPES + ")");
                continue;
            }
            for (InboundRoutes.Route existing : routes) {
                if (existing.path().equals(path)) {
                    config.problems().add(at + ".path", "'" + path + "' is listed twice (expected: one route per prefix)");
                }
            }
            routes.add(new InboundRoutes.Route(path, scope));
        }
        return new InboundRoutes(routes);
    }

    private static Scope scope(String text) {
        if (text == null) {
            return null;
        }
        String name = text.toUpperCase(Locale.ROOT).replace('-', '_');
        for (Scope scope : InboundRoutes.SCOPES) {
            if (scope.name().equals(name)) {
                return scope;
            }
        }
        return null;
    }

    private static Outbound outbound(GitwardConfig config, NodeSettings node) {
        ListenAddress listen = address(config, "sidecar.outbound.listen", true);
        ListenAddress peer = address(config, "sidecar.outbound.peer.address", false);
        String key = "sidecar.outbound.peer.identity";
        String value = config.requiredString(key, "the peer's SPIFFE ID, e.g. spiffe://cell-1.gitward/proxy/proxy-1");
        NodeIdentity identity = null;
        if (value != null) {
            try {
                identity = NodeIdentity.parseSpiffeId(value);
                if (node.trustDomain() != null && !identity.trustDomain().equals(node.trustDomain())
                        && config.raw().getList("security.trust.other-domains").isEmpty()) {
                    config.problems().add(key, "'" + value + "' is in trust domain '" + identity.trustDomain()
                            + "' (expected: this node's '" + node.trustDomain() + "', or that domain in"
                            + " security.trust.other-domains)");
                }
            } catch (InvalidIdentityException e) {
                config.problems().add(key, "'" + value + "': " + e.getMessage());
            }
        }
        return new Outbound(listen, identity, peer);
    }

    /**
     * Reads a {@code host:port}; with {@code loopbackOnly} the host must resolve to loopback addresses only, so
     * plaintext never leaves the machine (or the pod).
     */
    private static ListenAddress address(GitwardConfig config, String key, boolean loopbackOnly) {
        String value = config.requiredString(key, "host:port");
        if (value == null) {
            return null;
        }
        ListenAddress address;
        try {
            address = ListenAddress.parse(value);
        } catch (IllegalArgumentException e) {
            config.problems().add(key, e.getMessage());
            return null;
        }
        if (loopbackOnly) {
            String problem = loopbackProblem(address.host());
            if (problem != null) {
                config.problems().add(key, "'" + value + "' " + problem + " (expected: a loopback address such as"
                        + " 127.0.0.1:" + address.port() + " or [::1]:" + address.port()
                        + "; plaintext never leaves this host)");
                return null;
            }
        }
        return address;
    }

    /** Null when every address {@code host} names is a loopback address. */
    static String loopbackProblem(String host) {
        if (host == null || host.isEmpty()) {
            return "binds every interface";
        }
        try {
            InetAddress[] all = InetAddress.getAllByName(host);
            for (InetAddress address : all) {
                if (address.isAnyLocalAddress()) {
                    return "binds every interface";
                }
                if (!address.isLoopbackAddress()) {
                    return "is not a loopback address (" + address.getHostAddress() + ")";
                }
            }
            return null;
        } catch (UnknownHostException e) {
            return "does not resolve";
        }
    }
}
