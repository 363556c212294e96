package io.gitward.tests.security;

import io.gitward.tests.GitwardHome;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** docs/outcome-table.md parsed: phase variant → caller → "node SCOPE" → expected cell. */
public final class OutcomeTable {
    private final Map<String, Map<String, Map<String, String>>> phases;

    private OutcomeTable(Map<String, Map<String, Map<String, String>>> phases) {
        this.phases = phases;
    }

    public static OutcomeTable load() throws Exception {
        List<String> lines = Files.readAllLines(GitwardHome.root().resolve("docs/outcome-table.md"));
        Map<String, Map<String, Map<String, String>>> phases = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (!line.startsWith("<!-- outcome-table:phase ")) {
                continue;
            }
            String phase = line.substring("<!-- outcome-table:phase ".length(), line.length() - " -->".length());
            List<String> header = cells(lines.get(i + 1));
            Map<String, Map<String, String>> rows = new LinkedHashMap<>();
            for (int j = i + 3; j < lines.size() && lines.get(j).startsWith("|"); j++) {
                List<String> row = cells(lines.get(j));
                Map<String, String> byTarget = new LinkedHashMap<>();
                for (int k = 1; k < header.size(); k++) {
                    byTarget.put(header.get(k), row.get(k));
                }
                rows.put(row.get(0), byTarget);
            }
            phases.put(phase, rows);
        }
        return new OutcomeTable(phases);
    }

    private static List<String> cells(String line) {
        List<String> cells = new ArrayList<>();
        String trimmed = line.trim();
        for (String cell : trimmed.substring(1, trimmed.length() - 1).split("\\|")) {
            cells.add(cell.trim());
        }
        return cells;
    }

    /** Phase variant ("0" .. "6", "4-audit", "4-enforce") to caller row to "node SCOPE" column to cell. */
    public Map<String, Map<String, Map<String, String>>> phases() {
        return phases;
    }
}
