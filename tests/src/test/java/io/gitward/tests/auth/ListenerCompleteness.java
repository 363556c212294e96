package io.gitward.tests.auth;

import io.gitward.security.authz.MethodInfo;
import io.gitward.security.authz.MethodRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks what running listeners serve against the rpc-columns section of docs/outcome-table.md and the RPCs the
 * auth matrix calls: every served method needs a row, every row's method must be served (no stale rows), a row's
 * column must be a column of the outcome table (or {@code health} on the health listener) whose scope is the
 * method's own, and the matrix must have arguments for it (it is called in every cell). Pure.
 */
final class ListenerCompleteness {
    /** What one gRPC listener of one node serves, as the node reports it. */
    record Served(String kind, String node, String listener, List<String> methods) {
        Served {
            methods = List.copyOf(methods);
        }
    }

    private final RpcColumns columns;
    private final Set<String> tableColumns;
    private final MethodRegistry registry;

    /** @param tableColumns the outcome table's columns ("proxy PUBLIC", ...) */
    ListenerCompleteness(RpcColumns columns, Set<String> tableColumns, MethodRegistry registry) {
        this.columns = columns;
        this.tableColumns = Set.copyOf(tableColumns);
        this.registry = registry;
    }

    /**
     * Every problem found, one sentence each; empty when complete.
     *
     * @param exercised the RPCs the matrix calls, by node kind then full method name
     */
    List<String> problems(List<Served> listeners, Map<String, Map<String, RealRpc>> exercised) {
        List<String> problems = new ArrayList<>();
        for (Served served : listeners) {
            String where = served.node() + " (" + served.kind() + ") listener " + served.listener();
            String group = RpcColumns.group(served.listener());
            for (String method : served.methods()) {
                Optional<String> column = columns.columnOf(served.kind(), served.listener(), method);
                if (column.isEmpty()) {
                    problems.add(where + " serves " + method + ", which has no row for " + served.kind() + "/" + group
                            + " in docs/outcome-table.md (rpc-columns): add it with the column of its scope");
                    continue;
                }
                String wrongColumn = columnProblem(column.get(), group, method);
                if (wrongColumn != null) {
                    problems.add(where + ": " + wrongColumn);
                }
                if (!exercised.getOrDefault(served.kind(), Map.of()).containsKey(method)) {
                    problems.add(where + " serves " + method + ", which the auth matrix never calls (no arguments in"
                            + " RealRpcs)");
                }
            }
            for (String mapped : columns.methods(served.kind(), group)) {
                if (!served.methods().contains(mapped)) {
                    problems.add(where + " does not serve " + mapped + ", which docs/outcome-table.md (rpc-columns) maps"
                            + " for " + served.kind() + "/" + group + ": a stale row");
                }
            }
        }
        return problems;
    }

    /** Null when {@code column} can classify {@code method} on a listener of {@code group}. */
    private String columnProblem(String column, String group, String method) {
        Optional<MethodInfo> info = registry.find(method);
        if (group.equals(RpcColumns.HEALTH) || column.equals(RpcColumns.HEALTH)) {
            if (!group.equals(RpcColumns.HEALTH) || !column.equals(RpcColumns.HEALTH) || info.isPresent()) {
                return method + " is mapped to column '" + column + "' on the " + group + " listeners (expected: column"
                        + " health for the health service on the health listener only)";
            }
            return null;
        }
        if (!tableColumns.contains(column)) {
            return method + " is mapped to '" + column + "', which is not a column of the outcome tables";
        }
        String scope = column.substring(column.indexOf(' ') + 1);
        if (info.isEmpty()) {
            return method + " has no scope in the proto options (such a method is denied, not served)";
        }
        if (!info.get().scope().name().equals(scope)) {
            return method + " has scope " + info.get().scope() + " but is mapped to column '" + column + "'";
        }
        return null;
    }
}
