package io.gitward.tests.auth;

import io.gitward.tests.cluster.ClusterNode;
import io.gitward.tests.security.ProbeCaller;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Follows one PUBLIC read through the proxy into the audits: the proxy must record it as the caller (or, behind an
 * edge, the forwarded client), the storage node that served it as the proxy, never as the caller. Audit counts are
 * compared before and after the call, so only that call counts (nothing else makes PUBLIC calls meanwhile).
 */
final class ProxyPath {
    private final MatrixPlayer player;
    private final AdminObserver observer;
    private final ClusterNode proxy;
    private final int proxyPlaintextPort;
    private final List<ClusterNode> storages;
    private final RealRpc read;
    private final List<X509Certificate> roots;

    /** @param read a PUBLIC read the proxy forwards to a storage node, called on the proxy */
    ProxyPath(MatrixPlayer player, AdminObserver observer, ClusterNode proxy, int proxyPlaintextPort,
            List<ClusterNode> storages, RealRpc read, List<X509Certificate> roots) {
        this.player = player;
        this.observer = observer;
        this.proxy = proxy;
        this.proxyPlaintextPort = proxyPlaintextPort;
        this.storages = List.copyOf(storages);
        this.read = read;
        this.roots = List.copyOf(roots);
    }

    /**
     * Null when the read succeeded and each audit shows exactly one call by the expected principal (and credential,
     * when given), else what differs. The proxy may record the call as admitted under audit ({@code would-deny}).
     *
     * @param atProxy   principal [, credential] the proxy must record
     * @param atStorage principal [, credential] a storage node must record
     */
    String follow(MatrixCaller caller, List<String> atProxy, List<String> atStorage) throws Exception {
        Map<String, Long> proxyBefore = observer.auditCounts(proxy);
        Map<String, Long> storageBefore = storageAudit();
        ManagedChannel channel = ProbeCaller.channel(caller.tls() ? proxy.tlsPort() : proxyPlaintextPort, caller.tls(),
                caller.identity(), roots, caller.provider());
        Status status;
        try {
            status = player.call(channel, caller, read.method(), read.type(), read.request(), false).status();
        } finally {
            channel.shutdownNow();
        }
        if (!status.isOk()) {
            return read.method() + " through the proxy failed: " + status;
        }
        Map<String, Long> seenByProxy = increased(proxyBefore, observer.auditCounts(proxy));
        Map<String, Long> seenByStorage = increased(storageBefore, storageAudit());
        if (!oneCallBy(seenByProxy, atProxy, Set.of("allow", "would-deny"))) {
            return "the proxy's audit should show one admitted PUBLIC call by " + atProxy + ", shows " + seenByProxy;
        }
        if (!oneCallBy(seenByStorage, atStorage, Set.of("allow"))) {
            return "storage's audit should show one allowed PUBLIC call by " + atStorage + " (never the caller), shows "
                    + seenByStorage;
        }
        return null;
    }

    private static boolean oneCallBy(Map<String, Long> increased, List<String> expected, Set<String> decisions) {
        if (increased.size() != 1 || increased.values().iterator().next() != 1) {
            return false;
        }
        String[] key = increased.keySet().iterator().next().split("\\|");
        return key[0].equals(expected.get(0)) && (expected.size() < 2 || key[2].equals(expected.get(1)))
                && decisions.contains(key[4]);
    }

    /** Every storage node's audit counts, keyed "principal|transport|credential|scope|decision|node". */
    private Map<String, Long> storageAudit() throws Exception {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (ClusterNode storage : storages) {
            observer.auditCounts(storage).forEach((key, count) -> counts.put(key + "|" + storage.name(), count));
        }
        return counts;
    }

    /** The PUBLIC audit rows whose count went up, with the increase. */
    private static Map<String, Long> increased(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> increased = new LinkedHashMap<>();
        after.forEach((key, count) -> {
            long delta = count - before.getOrDefault(key, 0L);
            if (delta > 0 && key.split("\\|")[3].equals("PUBLIC")) {
                increased.put(key, delta);
            }
        });
        return increased;
    }
}
