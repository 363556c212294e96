package io.gitward.security.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proto.Scope;
import io.netty.handler.codec.http.HttpMethod;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The path-to-scope table of the operator endpoints: exact paths only, everything else has no route. */
class OperatorRoutesTest {
    static Stream<Arguments> routes() {
        return Stream.of(
                Arguments.of("/metrics is ADMIN_READ", "/metrics", Scope.ADMIN_READ),
                Arguments.of("/readyz is ADMIN_READ", "/readyz", Scope.ADMIN_READ),
                Arguments.of("/healthz is HEALTH", "/healthz", Scope.HEALTH),
                Arguments.of("a query string does not change the route", "/metrics?name[]=x", Scope.ADMIN_READ),
                Arguments.of("a fragment does not change the route", "/readyz#top", Scope.ADMIN_READ));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routes")
    void eachEndpointHasItsScope(String name, String target, Scope scope) {
        OperatorRoutes.Route route = OperatorRoutes.find(target);
        assertEquals(scope, route.method().scope());
        assertEquals(scope != Scope.HEALTH, route.method().privileged(), "a token never opens ADMIN_READ once"
                + " certificates can be used");
    }

    @ParameterizedTest(name = "no route for \"{0}\"")
    @ValueSource(strings = {"/", "", "/metrics/", "/Metrics", "//metrics", "/%6detrics", "/metrics/../metrics",
        "http://localhost/metrics", "*", "/debug/pprof", "/readyz/x"})
    void anythingElseHasNoRouteAndIsRefused(String target) {
        assertNull(OperatorRoutes.find(target));
    }

    @ParameterizedTest(name = "{0} is served")
    @ValueSource(strings = {"GET", "HEAD"})
    void readsAreServed(String method) {
        assertTrue(OperatorRoutes.readOnly(HttpMethod.valueOf(method)));
    }

    @ParameterizedTest(name = "{0} is refused")
    @ValueSource(strings = {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"})
    void everyOtherMethodIsRefused(String method) {
        assertFalse(OperatorRoutes.readOnly(HttpMethod.valueOf(method)));
    }
}
