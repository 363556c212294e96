package io.gitward.cli.cluster;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Moves the local cluster one phase at a time toward a target. Before each step every node must run and
 * answer and the proxy must see every storage node healthy; a step up is refused while the audit shows a
 * caller it would break (unless forced). A step rewrites each node's config and waits until the node reports
 * the new phase before touching the next, so nodes are never more than one phase apart. On the way up callers
 * go first (the proxy, storage nodes, then the coordinator, which only answers): a server one phase ahead of
 * its callers could refuse them (a storage node in phase 2 takes a transaction only from a proxy certificate),
 * while a caller one phase ahead still speaks the older phase's way too; a server that starts asking for
 * certificates has its callers reconnect to present one. On the way down servers go first, for the same
 * reason.
 */
final class PhaseSteps {
    private static final Duration APPLY_TIMEOUT = Duration.ofSeconds(30);
    /** Lets in-flight calls on connections of the previous phase finish before the audit is read again. */
    private static final Duration SETTLE = Duration.ofSeconds(2);

    private final ClusterLayout layout;
    private final PrintWriter out;

    PhaseSteps(ClusterLayout layout, PrintWriter out) {
        this.layout = layout;
        this.out = out;
    }

    /** Steps to {@code target}; returns the phase reached. */
    int run(int target, boolean allowDowngrade, boolean force) throws ClusterException, InterruptedException {
        if (target < 0 || target > 6) {
            throw new ClusterException("phase " + target + ": expected 0 to 6");
        }
        try (ClusterLock lock = ClusterLock.acquire(layout)) {
            ClusterManifest manifest = ClusterManifest.read(layout);
            if (target < manifest.phase() && !allowDowngrade) {
                throw new ClusterException("phase " + target + " is below the cluster's phase " + manifest.phase()
                        + "; moving down weakens security: pass --allow-downgrade to do it");
            }
            if (target == manifest.phase()) {
                out.println("the cluster is already at phase " + target);
            }
            while (manifest.phase() != target) {
                int next = manifest.phase() + (target > manifest.phase() ? 1 : -1);
                requireHealthy();
                if (next > manifest.phase()) {
                    List<PhaseGate.Blocker> blockers = PhaseGate.blockers(next, NodeAdmin.audits(layout, manifest),
                            Instant.parse(manifest.phaseSince()));
                    if (!blockers.isEmpty() && !force) {
                        StringBuilder message = new StringBuilder("refusing phase " + next + " (the cluster stays at "
                                + manifest.phase() + "): " + blockers.size() + " caller(s) seen since "
                                + manifest.phaseSince() + " would break:");
                        blockers.forEach(blocker -> message.append("\n  ").append(blocker.describe()));
                        throw new ClusterException(message + "\nmove them first (or pass --force to break them)");
                    }
                    blockers.forEach(blocker -> out.println("  forced past: " + blocker.describe()));
                }
                manifest = step(manifest, next);
                out.println("phase " + next + ": every node switched");
            }
            return manifest.phase();
        }
    }

    private void requireHealthy() throws ClusterException {
        ClusterStatus status = ClusterStatus.gather(layout);
        if (!status.healthy()) {
            List<String> problems = new ArrayList<>();
            status.nodes().stream().filter(node -> node.error() != null || !node.ready())
                    .forEach(node -> problems.add(node.name() + ": " + (node.error() != null ? node.error() : "not ready")));
            status.storages().stream().filter(storage -> !storage.healthy())
                    .forEach(storage -> problems.add(storage.name() + ": down as the proxy sees it"));
            throw new ClusterException("the cluster is not healthy, no phase change: " + String.join("; ", problems)
                    + " (see ./gitward status)");
        }
    }

    private ClusterManifest step(ClusterManifest manifest, int next) throws ClusterException, InterruptedException {
        boolean down = next < manifest.phase();
        int lowest = Math.min(manifest.phase(), next);
        ClusterManifest after = manifest.withPhase(next, Instant.now());
        NodeConfigs configs = new NodeConfigs(layout, after);
        List<ClusterManifest.Node> order = new ArrayList<>(manifest.nodes());
        order.sort(java.util.Comparator.comparingInt(node -> callerRank(node.kind())));
        if (down) {
            java.util.Collections.reverse(order);
        }
        for (ClusterManifest.Node node : order) {
            try {
                configs.write(node, down);
            } catch (IOException e) {
                throw new ClusterException(ClusterLayout.config(layout.nodeDir(node.name())) + ": " + e.getMessage(), e);
            }
            awaitPhase(after, node, next, lowest);
        }
        // The audit counts callers from here on: calls still in flight on connections of the old phase are done.
        Thread.sleep(SETTLE.toMillis());
        after = after.withPhase(next, Instant.now());
        try {
            after.write(layout.manifest());
        } catch (IOException e) {
            throw new ClusterException(layout.manifest() + ": " + e.getMessage(), e);
        }
        return after;
    }

    /**
     * Pure callers first: the gateway calls the proxy, the proxy calls storage nodes, storage nodes answer it and
     * call the coordinator, which only answers.
     */
    private static int callerRank(String kind) {
        return switch (kind) {
            case "gateway" -> 0;
            case "proxy" -> 1;
            case "storage" -> 2;
            default -> 3;
        };
    }

    private void awaitPhase(ClusterManifest manifest, ClusterManifest.Node node, int phase, int lowest)
            throws ClusterException, InterruptedException {
        try {
            NodeAdmin.await(layout, manifest, node, lowest, "switched to phase " + phase, status -> status.getPhase() == phase,
                    APPLY_TIMEOUT);
        } catch (ClusterException e) {
            throw new ClusterException(e.getMessage() + " — the nodes before it already switched; run ./gitward phase"
                    + " again to finish or go back");
        }
    }
}
