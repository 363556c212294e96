package io.gitward.storage.pack;

import static java.util.Objects.requireNonNull;

import io.gitward.proto.FetchSnapshotRequest;
import io.gitward.proto.FetchSnapshotResponse;
import io.gitward.proto.Reference;
import io.gitward.proto.ReplicateFromRequest;
import io.gitward.proto.ReplicationServiceGrpc;
import io.gitward.security.identity.InvalidIdentityException;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.runtime.PeerEndpoint;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.security.server.ListenAddress;
import io.gitward.storage.StorageException;
import io.gitward.storage.refs.Checksums;
import io.gitward.storage.refs.RefTransaction;
import io.gitward.storage.repo.RepositoryStore;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectChecker;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.transport.PackParser;
import org.eclipse.jgit.transport.ReceiveCommand;

/**
 * Makes a local replica equal to a source replica: dials the source storage node with this node's own
 * certificate (the source must prove the pinned identity first), sends the commits it already has, receives
 * the source's references and a pack of the missing objects, then sets every reference to the source's in
 * one atomic update. No token or credential of the source is ever handed over.
 */
public final class Replicator {
    private final RepositoryStore store;
    private final SecurityRuntime security;
    private final Duration timeout;

    public Replicator(RepositoryStore store, SecurityRuntime security, Duration timeout) {
        this.store = requireNonNull(store, "store");
        this.security = requireNonNull(security, "security");
        this.timeout = requireNonNull(timeout, "timeout");
    }

    /** @return the local checksum afterwards */
    public String replicate(ReplicateFromRequest request) throws StorageException {
        PeerEndpoint source = endpoint(request);
        if (!store.exists(request.getRepository())) {
            store.create(request.getRepository(), "main");
        }
        ReentrantLock lock = store.lockFor(request.getRepository());
        lock.lock();
        ManagedChannel channel = null;
        Path incoming = null;
        try (org.eclipse.jgit.lib.Repository repository = store.open(request.getRepository())) {
            List<String> haves = new ArrayList<>();
            for (Ref ref : repository.getRefDatabase().getRefsByPrefix(Constants.R_REFS)) {
                if (ref.getObjectId() != null) {
                    haves.add(ref.getObjectId().name());
                }
            }
            channel = security.outbound().dial(source);
            Iterator<FetchSnapshotResponse> snapshot = ReplicationServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS).fetchSnapshot(FetchSnapshotRequest.newBuilder()
                            .setRepository(request.getSource()).addAllHave(haves).build());
            FetchSnapshotResponse first = snapshot.next();
            incoming = Files.createTempFile(repository.getDirectory().toPath(), "incoming-", ".pack");
            boolean anyPack = false;
            try (OutputStream out = Files.newOutputStream(incoming)) {
                while (snapshot.hasNext()) {
                    snapshot.next().getPackData().writeTo(out);
                    anyPack = true;
                }
            }
            if (anyPack) {
                try (ObjectInserter inserter = repository.newObjectInserter(); InputStream in = Files.newInputStream(incoming)) {
                    PackParser parser = inserter.newPackParser(in);
                    parser.setAllowThin(false);
                    // The source is a verified peer, but its objects get the same checks as a push's.
                    parser.setObjectChecker(new ObjectChecker().setSafeForWindows(true).setSafeForMacOS(true));
                    parser.parse(NullProgressMonitor.INSTANCE);
                    inserter.flush();
                }
            }
            syncReferences(repository, first);
            return Checksums.of(repository).hex();
        } catch (StatusRuntimeException e) {
            StorageException.Kind kind = e.getStatus().getCode() == io.grpc.Status.Code.NOT_FOUND
                    ? StorageException.Kind.NOT_FOUND : StorageException.Kind.UNAVAILABLE;
            throw new StorageException(kind, "source " + source.identity() + " refused or could not be reached: "
                    + e.getStatus().getCode() + " " + e.getStatus().getDescription(), e);
        } catch (javax.net.ssl.SSLException e) {
            throw new StorageException(StorageException.Kind.UNAVAILABLE, "cannot set up TLS to source " + source.identity()
                    + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new StorageException(StorageException.Kind.INTERNAL, "replication from " + source.identity() + " failed: "
                    + e.getMessage(), e);
        } finally {
            lock.unlock();
            if (channel != null) {
                channel.shutdownNow();
            }
            if (incoming != null) {
                try {
                    Files.deleteIfExists(incoming);
                } catch (IOException ignored) {
                    // a leftover temp file is harmless
                }
            }
        }
    }

    private static void syncReferences(org.eclipse.jgit.lib.Repository repository, FetchSnapshotResponse snapshot)
            throws IOException, StorageException {
        Map<String, ObjectId> wanted = new LinkedHashMap<>();
        for (Reference reference : snapshot.getReferencesList()) {
            wanted.put(reference.getName(), ObjectId.fromString(reference.getTarget()));
        }
        List<ReceiveCommand> commands = new ArrayList<>();
        for (Ref ref : repository.getRefDatabase().getRefsByPrefix(Constants.R_REFS)) {
            ObjectId target = wanted.remove(ref.getName());
            if (target == null) {
                commands.add(new ReceiveCommand(ref.getObjectId(), ObjectId.zeroId(), ref.getName()));
            } else if (!target.equals(ref.getObjectId())) {
                commands.add(new ReceiveCommand(ref.getObjectId(), target, ref.getName()));
            }
        }
        for (Map.Entry<String, ObjectId> missing : wanted.entrySet()) {
            commands.add(new ReceiveCommand(ObjectId.zeroId(), missing.getValue(), missing.getKey()));
        }
        if (!commands.isEmpty()) {
            RefTransaction.execute(repository, commands);
        }
        if (!snapshot.getHead().isEmpty()) {
            Ref head = repository.exactRef(Constants.HEAD);
            if (head == null || !head.isSymbolic() || !head.getTarget().getName().equals(snapshot.getHead())) {
                RefUpdate update = repository.updateRef(Constants.HEAD);
                update.disableRefLog();
                update.link(snapshot.getHead());
            }
        }
    }

    private static PeerEndpoint endpoint(ReplicateFromRequest request) throws StorageException {
        try {
            NodeIdentity identity = NodeIdentity.parseSpiffeId(request.getSourceIdentity());
            ListenAddress tls = request.getSourceTlsAddress().isEmpty() ? null
                    : ListenAddress.parse(request.getSourceTlsAddress());
            ListenAddress plaintext = request.getSourcePlaintextAddress().isEmpty() ? null
                    : ListenAddress.parse(request.getSourcePlaintextAddress());
            return new PeerEndpoint(identity, tls, plaintext);
        } catch (InvalidIdentityException | IllegalArgumentException e) {
            throw StorageException.invalid("source: " + e.getMessage());
        }
    }

}
