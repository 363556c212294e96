package io.gitward.sidecar;

import io.gitward.proto.OperationType;
import io.gitward.proto.Scope;
import io.gitward.security.authz.MethodInfo;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Which scope a request path needs: the longest configured prefix wins, nothing matched means denied. Paths are
 * compared as sent, so a path whose meaning an app could change by normalizing it (dot segments, encoded slashes or
 * dots, backslashes, empty segments) is refused before any route is looked up. Immutable.
 */
final class InboundRoutes {
    /** The scopes a route may name. */
    static final List<Scope> SCOPES = List.of(Scope.PUBLIC, Scope.INTERNAL, Scope.MAINTENANCE, Scope.ADMIN_READ,
            Scope.ADMIN_WRITE, Scope.HEALTH);

    /** One route: requests whose path starts with {@code path} need {@code scope}. */
    record Route(String path, Scope scope) {
        MethodInfo method(String requestPath) {
            return new MethodInfo(requestPath, scope, OperationType.OPERATION_UNSPECIFIED, 0, false);
        }
    }

    private final List<Route> longestFirst;

    InboundRoutes(List<Route> routes) {
        this.longestFirst = routes.stream().sorted(Comparator.comparingInt((Route route) -> route.path().length())
                .reversed()).toList();
    }

    /** The route of {@code path} (no query), or null when none matches. */
    Route find(String path) {
        for (Route route : longestFirst) {
            if (path.startsWith(route.path())) {
                return route;
            }
        }
        return null;
    }

    List<Route> routes() {
        return longestFirst;
    }

    /** Null when {@code path} may be a route prefix; else what is wrong with it. */
    static String pathProblem(String path) {
        if (path == null || path.isEmpty()) {
            return "missing (expected a path prefix starting with '/', e.g. \"/api/\" or \"/gitward.RefService/\")";
        }
        if (!path.startsWith("/")) {
            return "'" + path + "' (expected a path prefix starting with '/')";
        }
        String problem = requestPathProblem(path);
        return problem == null ? null : "'" + path + "' " + problem;
    }

    /**
     * Null when a request path can be matched as sent; else why it is refused. Refused: anything but origin form,
     * dot segments, empty segments, backslashes, control characters and percent-encoded '/', '\', '.' or '%'.
     */
    static String requestPathProblem(String path) {
        if (!path.startsWith("/")) {
            return "is not an absolute path";
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x21 || c == 0x7f || c == '\\' || c == '#') {
                return "contains a control character, space, backslash or fragment";
            }
        }
        String lower = path.toLowerCase(Locale.ROOT);
        for (String encoded : new String[] {"%2f", "%5c", "%2e", "%25", "%00"}) {
            if (lower.contains(encoded)) {
                return "contains an encoded '/', '\\', '.', '%' or NUL";
            }
        }
        String[] segments = path.substring(1).split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            String segment = segments[i];
            if (segment.equals(".") || segment.equals("..")) {
                return "contains a dot segment";
            }
            if (segment.isEmpty() && i < segments.length - 1) {
                return "contains an empty segment";
            }
        }
        return null;
    }
}
