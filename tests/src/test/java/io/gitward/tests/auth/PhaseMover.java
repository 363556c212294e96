package io.gitward.tests.auth;

import io.gitward.proto.SecurityStatus;
import io.gitward.tests.cluster.ClusterNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Moves real nodes to a phase variant the way an operator does: rewrite each node's config file (the node reloads
 * it, no restart), then wait until every node reports the phase and authorization mode in its security status.
 * Variants are the outcome table's: "0" .. "6", with "4-audit" (the phase 4 preset) and "4-enforce" (phase 4 with
 * {@code security.flags.authorization = enforce}).
 */
final class PhaseMover {
    private static final String PHASE_KEY = "security.phase";
    private static final String AUTHORIZATION_KEY = "security.flags.authorization";

    private final List<ClusterNode> nodes;
    private final AdminObserver observer;

    PhaseMover(List<ClusterNode> nodes, AdminObserver observer) {
        this.nodes = List.copyOf(nodes);
        this.observer = observer;
    }

    void moveTo(String variant, Duration timeout) throws Exception {
        int phase = Integer.parseInt(variant.substring(0, 1));
        boolean enforceOverride = variant.equals("4-enforce");
        for (ClusterNode node : nodes) {
            rewrite(node.config(), phase, enforceOverride);
        }
        String authorization = enforceOverride || phase >= 5 ? "enforce" : phase == 4 ? "audit" : "off";
        Map<String, String> last = new ConcurrentHashMap<>();
        try {
            Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() -> {
                // A connection made before the change keeps the identity it had: ask over a new one each time.
                observer.reconnect();
                for (ClusterNode node : nodes) {
                    SecurityStatus status;
                    try {
                        status = observer.status(node);
                    } catch (RuntimeException e) {
                        last.put(node.name(), e.toString());
                        return false;
                    }
                    last.put(node.name(), "phase " + status.getPhase() + ", authorization "
                            + status.getFlagsMap().get("authorization"));
                    if (status.getPhase() != phase || !authorization.equals(status.getFlagsMap().get("authorization"))) {
                        return false;
                    }
                }
                return true;
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("the nodes did not reach phase " + variant + " within " + timeout + " (last seen: "
                    + last + "; logs beside " + nodes.get(0).config() + ")", e);
        }
        observer.reconnect();
    }

    /** Replaces the phase lines of {@code config} and swaps the file in atomically, as a config manager would. */
    private static void rewrite(Path config, int phase, boolean enforceOverride) throws Exception {
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(config)) {
            if (!line.startsWith(PHASE_KEY + " ") && !line.startsWith(AUTHORIZATION_KEY + " ")) {
                lines.add(line);
            }
        }
        lines.add(PHASE_KEY + " = " + phase);
        if (enforceOverride) {
            lines.add(AUTHORIZATION_KEY + " = enforce");
        }
        Path next = config.resolveSibling(config.getFileName() + ".next");
        Files.write(next, lines);
        Files.move(next, config, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
