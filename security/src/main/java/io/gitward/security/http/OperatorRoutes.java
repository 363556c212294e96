package io.gitward.security.http;

import io.gitward.proto.OperationType;
import io.gitward.proto.Scope;
import io.gitward.security.authz.MethodInfo;
import io.netty.handler.codec.http.HttpMethod;
import java.util.Map;

/**
 * The operator endpoints and their scopes, as data: what {@code MethodRegistry} is for gRPC. A path is matched
 * exactly (query string ignored, nothing decoded or normalized); anything else has no route and is refused.
 */
final class OperatorRoutes {
    /** What a route serves. */
    enum Endpoint {
        METRICS, READYZ, HEALTHZ
    }

    /** One endpoint and the method info the access policy decides it by. */
    record Route(Endpoint endpoint, MethodInfo method) {
    }

    static final String METRICS = "/metrics";
    static final String READYZ = "/readyz";
    static final String HEALTHZ = "/healthz";

    private static final Map<String, Route> ROUTES = Map.of(
            METRICS, route(Endpoint.METRICS, METRICS, Scope.ADMIN_READ),
            READYZ, route(Endpoint.READYZ, READYZ, Scope.ADMIN_READ),
            HEALTHZ, route(Endpoint.HEALTHZ, HEALTHZ, Scope.HEALTH));

    private OperatorRoutes() {
    }

    /** The route of a request target, or null when there is none. */
    static Route find(String requestTarget) {
        return requestTarget == null ? null : ROUTES.get(path(requestTarget));
    }

    /** The request target without its query string or fragment; otherwise untouched. */
    static String path(String requestTarget) {
        int end = requestTarget.length();
        for (int i = 0; i < requestTarget.length(); i++) {
            char c = requestTarget.charAt(i);
            if (c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        return requestTarget.substring(0, end);
    }

    /** Only reads are served; every other method is refused. */
    static boolean readOnly(HttpMethod method) {
        return HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method);
    }

    private static Route route(Endpoint endpoint, String path, Scope scope) {
        return new Route(endpoint, new MethodInfo("http:GET " + path, scope, OperationType.ACCESSOR, 0, false));
    }
}
