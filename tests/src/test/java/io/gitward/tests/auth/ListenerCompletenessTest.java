package io.gitward.tests.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.security.authz.MethodRegistry;
import io.gitward.tests.security.OutcomeTable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The completeness check on hand-made listener lists: it passes exactly what the rpc-columns section of
 * docs/outcome-table.md maps, and catches each kind of gap (the positive controls of AuthMatrixIT's check).
 */
class ListenerCompletenessTest {
    private RpcColumns columns;
    private Set<String> tableColumns;
    private final Map<String, Map<String, RealRpc>> exercised = new LinkedHashMap<>();

    @BeforeEach
    void load() throws Exception {
        columns = RpcColumns.load();
        tableColumns = new HashSet<>();
        OutcomeTable.load().phases().values().forEach(rows -> rows.values().forEach(row -> tableColumns.addAll(row.keySet())));
        for (String kind : List.of("storage", "proxy", "coordinator", "gateway")) {
            exercised.put(kind, RealRpcs.of(kind, "default", "caller-storage", "storage-1"));
        }
    }

    /** The listeners of one node of {@code kind} serving exactly what the section maps. */
    private List<ListenerCompleteness.Served> asMapped(String kind) {
        List<ListenerCompleteness.Served> served = new ArrayList<>();
        for (String listener : List.of("grpc-tls", "grpc-plaintext")) {
            served.add(new ListenerCompleteness.Served(kind, kind + "-1", listener, columns.methods(kind, "grpc")));
        }
        served.add(new ListenerCompleteness.Served(kind, kind + "-1", "health", columns.methods(kind, "health")));
        return served;
    }

    private List<String> problems(RpcColumns mapping, List<ListenerCompleteness.Served> served) {
        return new ListenerCompleteness(mapping, tableColumns, MethodRegistry.instance()).problems(served, exercised);
    }

    @Test
    void listenersServingExactlyTheMappedMethodsAreComplete() {
        for (String kind : exercised.keySet()) {
            assertEquals(List.of(), problems(columns, asMapped(kind)), kind);
            assertTrue(columns.methods(kind, "grpc").size() >= 4, kind + " has hardly any mapped methods");
        }
    }

    @Test
    void aServedMethodWithoutARowIsCaught() {
        List<String> problems = problems(columns.without("proxy", "gitward.ProxyAdmin/SetPrimary"), asMapped("proxy"));
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("proxy-1 (proxy) listener grpc-tls serves gitward.ProxyAdmin/SetPrimary,"
                + " which has no row"), problems.get(0));
    }

    @Test
    void aMethodNobodyMappedIsCaughtOnEveryListenerThatServesIt() {
        List<ListenerCompleteness.Served> served = new ArrayList<>(asMapped("coordinator"));
        List<String> more = new ArrayList<>(served.get(0).methods());
        more.add("grpc.reflection.v1.ServerReflection/ServerReflectionInfo");
        served.set(0, new ListenerCompleteness.Served("coordinator", "coordinator-1", "grpc-tls", more));
        List<String> problems = problems(columns, served);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("serves grpc.reflection.v1.ServerReflection/ServerReflectionInfo, which has"
                + " no row for coordinator/grpc"), problems.get(0));
    }

    @Test
    void aRowForAMethodTheListenerDoesNotServeIsStale() {
        List<ListenerCompleteness.Served> served = new ArrayList<>(asMapped("gateway"));
        served.set(0, new ListenerCompleteness.Served("gateway", "gateway-1", "grpc-tls", List.of(
                "gitward.NodeService/GetNodeInfo")));
        List<String> problems = problems(columns, served);
        assertEquals(3, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("does not serve gitward.SecurityAdmin/GetAudit"), problems.get(0));
    }

    @Test
    void aColumnOfAnotherScopeIsCaught() {
        RpcColumns wrong = new RpcColumns(List.of(new RpcColumns.Row(List.of("storage"), "grpc", "storage ADMIN_READ",
                List.of("gitward.RefService/FindRef"))));
        List<String> problems = problems(wrong, List.of(new ListenerCompleteness.Served("storage", "storage-1", "grpc-tls",
                List.of("gitward.RefService/FindRef"))));
        assertEquals(List.of("storage-1 (storage) listener grpc-tls: gitward.RefService/FindRef has scope PUBLIC but is"
                + " mapped to column 'storage ADMIN_READ'"), problems);
    }

    @Test
    void theHealthServiceOnASecuredListenerIsCaught() {
        RpcColumns health = new RpcColumns(List.of(new RpcColumns.Row(List.of("storage"), "grpc", "health",
                List.of("grpc.health.v1.Health/Check"))));
        List<String> problems = problems(health, List.of(new ListenerCompleteness.Served("storage", "storage-1",
                "grpc-tls", List.of("grpc.health.v1.Health/Check"))));
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("expected: column health for the health service on the health listener"),
                problems.get(0));
    }

    @Test
    void aMappedMethodTheMatrixNeverCallsIsCaught() {
        exercised.get("storage").remove("gitward.MaintenanceService/Checksum");
        List<String> problems = problems(columns, asMapped("storage"));
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("serves gitward.MaintenanceService/Checksum, which the auth matrix never calls"),
                problems.get(0));
    }
}
