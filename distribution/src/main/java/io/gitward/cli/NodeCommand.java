package io.gitward.cli;

import io.gitward.gateway.GatewayNode;
import io.gitward.proxy.ProxyNode;
import io.gitward.security.config.ConfigException;
import io.gitward.security.server.NodeApplication;
import io.gitward.security.server.NodeKind;
import io.gitward.security.server.NodeRuntime;
import io.gitward.security.server.NodeStartException;
import io.gitward.storage.StorageNode;
import io.gitward.transaction.CoordinatorNode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gitward node KIND --config FILE}: how every server process starts. */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = "Run a server: storage, proxy, coordinator or gateway (Git smart HTTP). Writes ready.json once every"
                + " listener is bound.")
final class NodeCommand implements Callable<Integer> {
    static final int EXIT_CONFIG = 2;
    static final int EXIT_START = 1;

    @Parameters(index = "0", paramLabel = "KIND", description = "storage, proxy, coordinator or gateway.")
    String kind;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The node's HOCON config file.")
    Path config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        NodeKind nodeKind = NodeKind.fromWireName(kind).filter(k -> k != NodeKind.SIDECAR)
                .orElseThrow(() -> new CommandLine.ParameterException(spec.commandLine(), "KIND: '" + kind
                        + "' (expected: storage, proxy, coordinator or gateway" + (NodeKind.SIDECAR.wireName().equals(kind)
                        ? "; a sidecar starts with: gitward sidecar --config FILE)" : ")")));
        NodeApplication application = switch (nodeKind) {
            case STORAGE -> new StorageNode();
            case PROXY -> new ProxyNode();
            case COORDINATOR -> new CoordinatorNode();
            case GATEWAY -> new GatewayNode();
            case SIDECAR -> throw new IllegalStateException("refused above");
        };
        return run(spec, nodeKind, config, application);
    }

    /** Starts {@code application} as a node of {@code nodeKind} and blocks until it stops; the exit code. */
    static int run(CommandLine.Model.CommandSpec spec, NodeKind nodeKind, Path config, NodeApplication application)
            throws InterruptedException {
        String command = nodeKind == NodeKind.SIDECAR ? "gitward sidecar" : "gitward node " + nodeKind;
        NodeRuntime runtime;
        try {
            runtime = NodeRuntime.start(nodeKind, config, System.getenv(), application);
        } catch (ConfigException e) {
            spec.commandLine().getErr().println(command + ": config " + e.getMessage());
            return EXIT_CONFIG;
        } catch (NodeStartException e) {
            spec.commandLine().getErr().println(command + ": " + e.getMessage());
            return EXIT_START;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(runtime::close, "gitward-shutdown"));
        runtime.awaitTermination();
        return 0;
    }
}
