package io.gitward.sidecar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.gitward.proto.Scope;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class InboundRoutesTest {
    private static final InboundRoutes ROUTES = new InboundRoutes(List.of(
            new InboundRoutes.Route("/", Scope.PUBLIC),
            new InboundRoutes.Route("/admin/", Scope.ADMIN_READ),
            new InboundRoutes.Route("/gitward.ProxyAdmin/SetPrimary", Scope.ADMIN_WRITE)));

    static Stream<Arguments> matches() {
        return Stream.of(
                Arguments.of("the longest prefix wins over the catch-all", "/admin/status", Scope.ADMIN_READ),
                Arguments.of("a gRPC method route matches that method", "/gitward.ProxyAdmin/SetPrimary", Scope.ADMIN_WRITE),
                Arguments.of("another method of the service falls to the catch-all", "/gitward.ProxyAdmin/Other",
                        Scope.PUBLIC),
                Arguments.of("a path without its own route takes the catch-all", "/api/x", Scope.PUBLIC));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("matches")
    void routesMatchByLongestPrefix(String name, String path, Scope expected) {
        assertEquals(expected, ROUTES.find(path).scope());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unmatched")
    void withoutACatchAllAnUnmatchedPathHasNoRoute(String path) {
        assertNull(new InboundRoutes(List.of(new InboundRoutes.Route("/api/", Scope.PUBLIC))).find(path));
    }

    static Stream<String> unmatched() {
        return Stream.of("/", "/ap", "/apix", "/admin/");
    }

    private static final String ENCODED = "contains an encoded '/', '\\', '.', '%' or NUL";

    static Stream<Arguments> refusedPaths() {
        return Stream.of(
                Arguments.of("a dot-dot segment is refused", "/api/../admin/x", "contains a dot segment"),
                Arguments.of("a dot segment is refused", "/./admin", "contains a dot segment"),
                Arguments.of("an encoded slash is refused", "/api%2F..%2Fadmin", ENCODED),
                Arguments.of("an encoded dot is refused", "/api/%2e%2e/admin", ENCODED),
                Arguments.of("a double-encoded percent is refused", "/api/%252e", ENCODED),
                Arguments.of("an empty segment is refused", "/api//admin", "contains an empty segment"),
                Arguments.of("a backslash is refused", "/api\\\\admin",
                        "contains a control character, space, backslash or fragment"),
                Arguments.of("an absolute URI is refused", "http://x/admin", "is not an absolute path"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedPaths")
    void pathsAnAppCouldReadDifferentlyAreRefused(String name, String path, String problem) {
        assertEquals(problem, InboundRoutes.requestPathProblem(path));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("acceptedPaths")
    void ordinaryPathsPass(String path) {
        assertNull(InboundRoutes.requestPathProblem(path));
    }

    static Stream<String> acceptedPaths() {
        return Stream.of("/", "/api/", "/api/x.json", "/gitward.RefService/FindRef", "/a/b%20c", "/files/.well-known");
    }
}
