package io.gitward.tests;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/** Reads the pinned blocks of docs/contracts.md: the fenced block or table after {@code <!-- contract:NAME -->}. */
final class ContractsDocument {
    private final List<String> lines;

    private ContractsDocument(List<String> lines) {
        this.lines = lines;
    }

    static ContractsDocument load() throws IOException {
        return new ContractsDocument(Files.readAllLines(GitwardHome.root().resolve("docs/contracts.md")));
    }

    /** The lines inside the fenced code block that follows the marker. */
    List<String> fencedBlock(String name) {
        int index = markerIndex(name);
        List<String> block = new ArrayList<>();
        boolean inside = false;
        for (int i = index + 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("```")) {
                if (inside) {
                    return block;
                }
                inside = true;
                continue;
            }
            if (inside) {
                block.add(line);
            }
        }
        throw new AssertionError("contract " + name + " has no closing ```");
    }

    /** The cells of each table row after the marker (header and separator skipped). */
    List<List<String>> table(String name) {
        int index = markerIndex(name);
        List<List<String>> rows = new ArrayList<>();
        int row = 0;
        for (int i = index + 1; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            if (row++ < 2) {
                continue;
            }
            List<String> cells = new ArrayList<>();
            String line = lines.get(i).trim();
            for (String cell : line.substring(1, line.length() - 1).split("\\|")) {
                cells.add(cell.trim());
            }
            rows.add(cells);
        }
        return rows;
    }

    private int markerIndex(String name) {
        int index = lines.indexOf("<!-- contract:" + name + " -->");
        if (index < 0) {
            throw new AssertionError("docs/contracts.md has no contract block '" + name + "'");
        }
        return index;
    }
}
