package io.gitward.cli.client;

import com.google.protobuf.ByteString;
import io.gitward.cli.cluster.ClusterException;
import io.gitward.cli.cluster.ClusterLayout;
import io.gitward.cli.cluster.ClusterManifest;
import io.gitward.cli.cluster.LocalIdentities;
import io.gitward.proto.BlobServiceGrpc;
import io.gitward.proto.CommitFilesRequest;
import io.gitward.proto.CreateRepositoryRequest;
import io.gitward.proto.FileAction;
import io.gitward.proto.GetRepositoryStateRequest;
import io.gitward.proto.ListRefsRequest;
import io.gitward.proto.OperationServiceGrpc;
import io.gitward.proto.ProxyAdminGrpc;
import io.gitward.proto.ReadBlobRequest;
import io.gitward.proto.ReadBlobResponse;
import io.gitward.proto.RefServiceGrpc;
import io.gitward.proto.ReplicaState;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryServiceGrpc;
import io.gitward.proto.RepositoryStateResponse;
import io.gitward.proto.Signature;
import io.gitward.security.identity.InvalidIdentityException;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.server.ListenAddress;
import io.gitward.security.server.ReadyFile;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gitward client}: a small client of the proxy — create, write, read, list, and (as admin) a
 * repository's replica state. Against the local cluster ({@code --dir}) it finds the proxy and its own
 * certificates by itself; elsewhere the address, CA bundle, server identity and certificate are options.
 */
@Command(name = "client", mixinStandardHelpOptions = true,
        description = "Call the cluster through its proxy. Exit 0 ok, 1 the call failed, 2 bad input.")
public final class ClientCommand {
    static final int EXIT_FAILED = 1;
    static final int EXIT_INPUT = 2;
    private static final long DEADLINE_SECONDS = 30;

    @Option(names = "--dir", paramLabel = "DIR", description = "A local cluster (./gitward up); default .gitward/cluster"
            + " unless --address is given.")
    Path dir;

    @Option(names = "--address", paramLabel = "HOST:PORT", description = "The proxy's address.")
    String address;

    @Option(names = "--ca", paramLabel = "BUNDLE", description = "CA bundle that must have signed the proxy's certificate.")
    Path roots;

    @Option(names = "--crl", paramLabel = "FILE", description = "CRL to check the proxy's certificate against.")
    Path crl;

    @Option(names = "--cert", paramLabel = "CHAIN", description = "Client certificate chain (with --key); none: call"
            + " without a client certificate.")
    Path chain;

    @Option(names = "--key", paramLabel = "KEY", description = "Client private key (0600).")
    Path key;

    @Option(names = "--server-id", paramLabel = "SPIFFE_ID", description = "The identity the proxy must prove, e.g."
            + " spiffe://cell-1.gitward/proxy/proxy-1.")
    String serverId;

    @Option(names = "--plaintext", description = "Use the plaintext listener (phases 0 to 4 only).")
    boolean plaintext;

    @Option(names = "--token-file", paramLabel = "FILE", description = "Legacy token secret: send a fresh token with"
            + " each call (phases 0 to 4).")
    Path tokenFile;

    @Option(names = "--storage", defaultValue = "default", paramLabel = "NAME", description = "Virtual storage name.")
    String storage;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Command(name = "create", description = "Create a repository.")
    int create(@Parameters(paramLabel = "PATH") String path) {
        return run("create " + path, false, connection -> {
            RepositoryServiceGrpc.newBlockingStub(connection.calls()).withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                    .createRepository(CreateRepositoryRequest.newBuilder().setRepository(repository(path)).build());
            out().println("created " + path);
        });
    }

    @Command(name = "write", description = "Commit FILE with CONTENT on main (created or replaced); prints the commit id.")
    int write(@Parameters(paramLabel = "PATH") String path, @Parameters(paramLabel = "FILE") String file,
            @Parameters(paramLabel = "CONTENT") String content) {
        return run("write " + path, false, connection -> {
            boolean exists = hasFile(connection, path, file);
            long now = System.currentTimeMillis() / 1000;
            Signature me = Signature.newBuilder().setName("gitward client").setEmail("client@gitward.invalid")
                    .setTimeSeconds(now).setTimeSet(true).build();
            CommitFilesRequest request = CommitFilesRequest.newBuilder().setRepository(repository(path)).setBranch("main")
                    .setMessage((exists ? "update " : "add ") + file).setAuthor(me).setCommitter(me)
                    .addActions(FileAction.newBuilder().setType(exists ? FileAction.Type.UPDATE : FileAction.Type.CREATE)
                            .setPath(file).setContent(ByteString.copyFromUtf8(content))).build();
            out().println(OperationServiceGrpc.newBlockingStub(connection.calls())
                    .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).commitFiles(request).getCommitId());
        });
    }

    @Command(name = "read", description = "Print FILE's content at main.")
    int read(@Parameters(paramLabel = "PATH") String path, @Parameters(paramLabel = "FILE") String file) {
        return run("read " + path, false, connection -> {
            out().print(new String(readBlob(connection, path, file), StandardCharsets.UTF_8));
            out().flush();
        });
    }

    @Command(name = "list", description = "Print the repository's references: REF TARGET.")
    int list(@Parameters(paramLabel = "PATH") String path) {
        return run("list " + path, false, connection -> RefServiceGrpc.newBlockingStub(connection.calls())
                .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                .listRefs(ListRefsRequest.newBuilder().setRepository(repository(path)).build())
                .forEachRemaining(page -> page.getReferencesList().forEach(ref -> out().println(ref.getName() + " "
                        + ref.getTarget()))));
    }

    @Command(name = "state", description = "(admin certificate) The primary, then per replica: generation,"
            + " up to date, checksum.")
    int state(@Parameters(paramLabel = "PATH") String path) {
        return run("state " + path, true, connection -> {
            RepositoryStateResponse state = ProxyAdminGrpc.newBlockingStub(connection.calls())
                    .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                    .getRepositoryState(GetRepositoryStateRequest.newBuilder().setRelativePath(path).build());
            out().println("primary " + state.getPrimary());
            for (ReplicaState replica : state.getReplicasList()) {
                out().println(replica.getStorage() + " generation=" + replica.getGeneration() + " up-to-date="
                        + replica.getUpToDate() + " checksum=" + (replica.getChecksum().isEmpty() ? "-"
                                : replica.getChecksum()));
            }
        });
    }

    /** The file's content at main; NOT_FOUND when the repository, main or the file does not exist. */
    private byte[] readBlob(ClientEndpoint.Connection connection, String path, String file) {
        Iterator<ReadBlobResponse> responses = BlobServiceGrpc.newBlockingStub(connection.calls())
                .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS).readBlob(ReadBlobRequest.newBuilder()
                        .setRepository(repository(path)).setRevision("main").setPath(file).build());
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        responses.forEachRemaining(response -> content.writeBytes(response.getData().toByteArray()));
        return content.toByteArray();
    }

    /** Whether main has the file; a repository without main has none. */
    private boolean hasFile(ClientEndpoint.Connection connection, String path, String file) {
        try {
            readBlob(connection, path, file);
            return true;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    private Repository repository(String path) {
        return Repository.newBuilder().setStorageName(storage).setRelativePath(path).build();
    }

    private interface Call {
        void run(ClientEndpoint.Connection connection);
    }

    private int run(String what, boolean admin, Call call) {
        ClientEndpoint endpoint;
        try {
            endpoint = endpoint(admin);
        } catch (ClientException | ClusterException e) {
            err().println("gitward client: " + e.getMessage());
            return EXIT_INPUT;
        }
        try (ClientEndpoint.Connection connection = endpoint.open()) {
            call.run(connection);
            return 0;
        } catch (ClientException e) {
            err().println("gitward client: " + e.getMessage());
            return EXIT_INPUT;
        } catch (StatusRuntimeException e) {
            Status status = e.getStatus();
            err().println("gitward client: " + what + ": " + status.getCode() + ": " + (status.getDescription() == null
                    ? (status.getCause() == null ? "" : status.getCause().getMessage()) : status.getDescription()));
            return EXIT_FAILED;
        }
    }

    /** From the options, or from the local cluster's files. */
    ClientEndpoint endpoint(boolean admin) throws ClientException, ClusterException {
        if (address != null) {
            if (dir != null) {
                throw new ClientException("--dir and --address exclude each other");
            }
            NodeIdentity server = null;
            if (!plaintext) {
                if (roots == null || serverId == null) {
                    throw new ClientException("TLS needs --ca BUNDLE and --server-id SPIFFE_ID (or use --plaintext)");
                }
                try {
                    server = NodeIdentity.parseSpiffeId(serverId);
                } catch (InvalidIdentityException e) {
                    throw new ClientException("--server-id '" + serverId + "': " + e.getMessage());
                }
            }
            if ((chain == null) != (key == null)) {
                throw new ClientException("--cert and --key go together");
            }
            try {
                return new ClientEndpoint(ListenAddress.parse(address), plaintext, roots, crl, chain, key, server, tokenFile);
            } catch (IllegalArgumentException e) {
                throw new ClientException("--address '" + address + "': " + e.getMessage());
            }
        }
        return localEndpoint(new ClusterLayout(dir == null ? ClusterLayout.DEFAULT : dir), admin);
    }

    private ClientEndpoint localEndpoint(ClusterLayout layout, boolean admin) throws ClusterException, ClientException {
        ClusterManifest manifest = ClusterManifest.read(layout);
        Path readyFile = ClusterLayout.ready(layout.nodeDir(manifest.proxy().name()));
        ReadyFile ready;
        try {
            ready = ReadyFile.read(readyFile);
        } catch (IOException e) {
            throw new ClusterException("the proxy is not running (" + readyFile + " unreadable: " + e.getMessage()
                    + "); start the cluster with ./gitward up --dir " + layout.dir());
        }
        String tls = ready.listeners().get("grpc-tls");
        if (tls == null) {
            throw new ClusterException("the proxy " + manifest.proxy().name() + " has no TLS listener (see " + readyFile + ")");
        }
        Path identity = layout.clientDir(admin ? LocalIdentities.ADMIN : LocalIdentities.CLIENT);
        // Only the legacy phases need the token: from phase 2 on the client certificate is asked for and verified.
        Path token = manifest.phase() <= 1 ? ClusterLayout.token(identity) : null;
        try {
            return new ClientEndpoint(ListenAddress.parse(tls), false, ClusterLayout.roots(identity),
                    ClusterLayout.crl(identity), ClusterLayout.chain(identity), ClusterLayout.key(identity),
                    NodeIdentity.parseSpiffeId(ready.identity()), token);
        } catch (InvalidIdentityException e) {
            throw new ClusterException(readyFile + ": identity '" + ready.identity() + "': " + e.getMessage());
        }
    }

    private PrintWriter out() {
        return spec.commandLine().getOut();
    }

    private PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
