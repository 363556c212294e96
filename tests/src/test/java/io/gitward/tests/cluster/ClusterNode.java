package io.gitward.tests.cluster;

import io.gitward.security.server.NodeKind;
import io.gitward.security.server.NodeSettings;
import io.gitward.security.server.ReadyFile;
import io.gitward.tests.GitwardProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One node process of a {@link MiniCluster}: its files, its ready.json, and kill / pause / resume / restart. */
public final class ClusterNode {
    private final NodeKind kind;
    private final String name;
    private final String testMain;
    private final Path config;
    private final Path dataDir;
    private final Path log;
    private GitwardProcess process;
    private ReadyFile ready;

    ClusterNode(NodeKind kind, String name, String testMain, Path config, Path dataDir, Path log) {
        this.kind = kind;
        this.name = name;
        this.testMain = testMain;
        this.config = config;
        this.dataDir = dataDir;
        this.log = log;
    }

    /**
     * Starts {@code ./gitward node KIND --config CONFIG} for a hand-written config (certificates from another issuer,
     * files in a projected directory) and waits for its ready file in {@code dataDir}; the log is {@code dataDir}.log.
     */
    public static ClusterNode start(NodeKind kind, String name, Path config, Path dataDir, Duration timeout)
            throws IOException {
        ClusterNode node = new ClusterNode(kind, name, null, config, dataDir,
                dataDir.resolveSibling(dataDir.getFileName() + ".log"));
        node.launch();
        try {
            node.awaitReady(timeout);
        } catch (RuntimeException | Error e) {
            node.kill();
            throw e;
        }
        return node;
    }

    void launch() throws IOException {
        Files.deleteIfExists(dataDir.resolve("ready.json"));
        process = testMain == null
                ? GitwardProcess.start(log, Map.of(), "node", kind.wireName(), "--config", config.toString())
                : GitwardProcess.startJava(log, testMain, "--config", config.toString());
    }

    void awaitReady(Duration timeout) {
        ready = process.awaitReady(dataDir.resolve("ready.json"), timeout);
    }

    public String name() {
        return name;
    }

    public NodeKind kind() {
        return kind;
    }

    public ReadyFile ready() {
        return ready;
    }

    /** "127.0.0.1:PORT" of the mTLS listener. */
    public String tlsAddress() {
        return ready.listeners().get(NodeSettings.GRPC_TLS);
    }

    public int tlsPort() {
        String address = tlsAddress();
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    public String identity() {
        return ready.identity();
    }

    /** A storage node's repository directory. */
    public Path storageRoot() {
        return config.resolveSibling(name + "-repos");
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path config() {
        return config;
    }

    public String output() {
        return process == null ? "" : process.output();
    }

    /** The process id of the running (or last) process. */
    public long pid() {
        return process.pid();
    }

    /** Whether the node's process is running. */
    public boolean isAlive() {
        return process != null && process.process().isAlive();
    }

    /** SIGKILL: the process ends without any cleanup, as in a crash. */
    public void kill() {
        if (process != null) {
            process.close();
        }
    }

    /** SIGTERM and wait: the node finishes in-flight calls within its shutdown grace. */
    public int stop(Duration timeout) throws InterruptedException {
        return process.terminate(timeout);
    }

    /** SIGSTOP: the process holds its sockets but answers nothing, like a hung peer. */
    public void pause() throws Exception {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    public void resume() throws Exception {
        signal("CONT");
    }

    /**
     * Starts the process again with the same config on the same ports (its peers' configs name them) and waits
     * for its new ready file.
     */
    public void restart(Duration timeout) throws IOException {
        kill();
        start(timeout);
    }

    /** Starts a killed or stopped node again on the ports it had. */
    public void start(Duration timeout) throws IOException {
        if (process != null && process.process().isAlive()) {
            throw new IllegalStateException(name + " is still running");
        }
        if (ready != null) {
            StringBuilder samePorts = new StringBuilder("\n# restarted on the same ports\n");
            ready.listeners().forEach((listener, address) -> samePorts.append("listen.").append(listener).append(" = \"")
                    .append(address).append("\"\n"));
            Files.writeString(config, samePorts.toString(), java.nio.file.StandardOpenOption.APPEND);
        }
        launch();
        awaitReady(timeout);
    }

    private void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + signal + " " + process.pid() + " failed");
        }
    }
}
