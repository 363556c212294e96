package io.gitward.tests.wire;

import io.gitward.security.config.GitwardConfig;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeKind;
import io.gitward.security.server.NodeRuntime;
import io.gitward.security.server.NodeSettings;
import io.gitward.security.server.NodeStartException;
import io.gitward.storage.StorageNode;
import io.gitward.transaction.CoordinatorNode;
import io.grpc.BindableService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real storage or coordinator node — the same {@link StorageNode} / {@link CoordinatorNode} and runtime as
 * {@code gitward node storage|coordinator} — with a {@link WireTap} on every connection its gRPC listeners accept,
 * journaling to {@code <data-dir>/wire-journal}. Run as its own process by {@link Storage#main} or
 * {@link Coordinator#main} ({@code --config FILE}).
 */
final class RecordingNode implements NodeApplication {
    static final String JOURNAL = "wire-journal";

    private final NodeApplication node;
    private WireJournal.Writer journal;

    private RecordingNode(NodeApplication node) {
        this.node = node;
    }

    static Path journal(Path dataDirectory) {
        return dataDirectory.resolve(JOURNAL);
    }

    /** {@code gitward node storage}, recorded. */
    static final class Storage {
        private Storage() {
        }

        public static void main(String[] args) throws Exception {
            run(NodeKind.STORAGE, new StorageNode(), args);
        }
    }

    /** {@code gitward node coordinator}, recorded. */
    static final class Coordinator {
        private Coordinator() {
        }

        public static void main(String[] args) throws Exception {
            run(NodeKind.COORDINATOR, new CoordinatorNode(), args);
        }
    }

    private static void run(NodeKind kind, NodeApplication node, String[] args) throws Exception {
        if (args.length != 2 || !args[0].equals("--config")) {
            System.err.println("usage: RecordingNode$" + kind + " --config FILE");
            System.exit(2);
        }
        NodeRuntime runtime = NodeRuntime.start(kind, Path.of(args[1]), System.getenv(), new RecordingNode(node));
        Runtime.getRuntime().addShutdownHook(new Thread(runtime::close, "recording-node-shutdown"));
        runtime.awaitTermination();
    }

    @Override
    public void configure(GitwardConfig config, NodeSettings settings) {
        node.configure(config, settings);
        journal = new WireJournal.Writer(journal(settings.dataDirectory()));
    }

    @Override
    public List<BindableService> services(SecurityRuntime security) {
        security.onAcceptedConnection(new WireTap(journal)::install);
        return node.services(security);
    }

    @Override
    public void started(Map<String, String> listeners) {
        node.started(listeners);
    }

    @Override
    public Map<String, String> openOwnListeners(SecurityRuntime security) throws NodeStartException {
        return node.openOwnListeners(security);
    }

    @Override
    public void closeOwnListeners(Duration grace) {
        node.closeOwnListeners(grace);
    }

    @Override
    public String prometheusText() {
        return node.prometheusText();
    }

    @Override
    public void close() {
        try {
            node.close();
        } finally {
            if (journal != null) {
                journal.close();
            }
        }
    }
}
