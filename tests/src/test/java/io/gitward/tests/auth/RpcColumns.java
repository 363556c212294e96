package io.gitward.tests.auth;

import io.gitward.tests.GitwardHome;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The "which column each real RPC is checked against" section of docs/outcome-table.md: for each node kind and
 * listener group, the outcome-table column whose cells a served method must match. Immutable.
 */
record RpcColumns(List<Row> rows) {
    static final String MARKER = "<!-- rpc-columns -->";
    /** The listener group of grpc-tls and grpc-plaintext. */
    static final String GRPC = "grpc";
    static final String HEALTH = "health";

    /** One line of the section: {@code column} applies to {@code methods} on the {@code listeners} of {@code nodes}. */
    record Row(List<String> nodes, String listeners, String column, List<String> methods) {
        Row {
            nodes = List.copyOf(nodes);
            methods = List.copyOf(methods);
        }
    }

    RpcColumns {
        rows = List.copyOf(rows);
    }

    static RpcColumns load() throws Exception {
        return parse(Files.readAllLines(GitwardHome.root().resolve("docs/outcome-table.md")));
    }

    static RpcColumns parse(List<String> lines) {
        int start = lines.indexOf(MARKER);
        if (start < 0) {
            throw new IllegalArgumentException("docs/outcome-table.md has no " + MARKER + " section");
        }
        List<Row> rows = new ArrayList<>();
        for (int i = start + 3; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            String line = lines.get(i).trim();
            String[] cells = line.substring(1, line.length() - 1).split("\\|");
            if (cells.length != 4) {
                throw new IllegalArgumentException("docs/outcome-table.md line " + (i + 1) + ": 4 cells expected: " + line);
            }
            rows.add(new Row(split(cells[0]), cells[1].trim(), cells[2].trim(), split(cells[3])));
        }
        return new RpcColumns(rows);
    }

    private static List<String> split(String cell) {
        return Arrays.stream(cell.split(",")).map(String::trim).filter(part -> !part.isEmpty()).toList();
    }

    /** The listener group a listener belongs to: {@code health}, or {@code grpc} for the TLS and plaintext ones. */
    static String group(String listener) {
        return listener.equals(HEALTH) ? HEALTH : GRPC;
    }

    /** The column of {@code method} on {@code listener} of a {@code node} kind, if the section has one. */
    Optional<String> columnOf(String node, String listener, String method) {
        return rows.stream().filter(row -> row.nodes().contains(node) && row.listeners().equals(group(listener))
                && row.methods().contains(method)).map(Row::column).findFirst();
    }

    /** The methods mapped for a {@code node} kind on a listener group, in section order. */
    List<String> methods(String node, String listeners) {
        return rows.stream().filter(row -> row.nodes().contains(node) && row.listeners().equals(listeners))
                .flatMap(row -> row.methods().stream()).toList();
    }

    /** This mapping with {@code method} dropped for {@code node}: the positive control of the completeness check. */
    RpcColumns without(String node, String method) {
        List<Row> kept = new ArrayList<>();
        for (Row row : rows) {
            if (!row.nodes().contains(node) || !row.methods().contains(method)) {
                kept.add(row);
                continue;
            }
            List<String> others = row.nodes().stream().filter(other -> !other.equals(node)).toList();
            if (!others.isEmpty()) {
                kept.add(new Row(others, row.listeners(), row.column(), row.methods()));
            }
            List<String> methods = row.methods().stream().filter(other -> !other.equals(method)).toList();
            if (!methods.isEmpty()) {
                kept.add(new Row(List.of(node), row.listeners(), row.column(), methods));
            }
        }
        return new RpcColumns(kept);
    }
}
