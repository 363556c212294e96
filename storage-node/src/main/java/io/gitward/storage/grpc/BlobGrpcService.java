package io.gitward.storage.grpc;

import com.google.protobuf.ByteString;
import io.gitward.proto.BlobServiceGrpc;
import io.gitward.proto.ReadBlobRequest;
import io.gitward.proto.ReadBlobResponse;
import io.gitward.storage.StorageException;
import io.gitward.storage.repo.RepositoryStore;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.Executor;
import org.eclipse.jgit.errors.RevisionSyntaxException;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

/** {@code gitward.BlobService}. */
public final class BlobGrpcService extends BlobServiceGrpc.BlobServiceImplBase {
    private static final int CHUNK = 64 * 1024;

    private final RepositoryStore store;
    private final Executor blocking;

    BlobGrpcService(RepositoryStore store, Executor blocking) {
        this.store = store;
        this.blocking = blocking;
    }

    @Override
    public void readBlob(ReadBlobRequest request, StreamObserver<ReadBlobResponse> responses) {
        FlowControlledSender<ReadBlobResponse> sender = new FlowControlledSender<>(responses);
        blocking.execute(() -> readBlob(request, responses, sender));
    }

    private void readBlob(ReadBlobRequest request, StreamObserver<ReadBlobResponse> responses,
            FlowControlledSender<ReadBlobResponse> sender) {
        try (org.eclipse.jgit.lib.Repository repository = store.open(request.getRepository());
                RevWalk walk = new RevWalk(repository)) {
            ObjectId revision = resolve(repository, request.getRevision());
            RevCommit commit = walk.parseCommit(revision);
            if (request.getPath().isEmpty()) {
                throw StorageException.invalid("path: empty (expected a file path)");
            }
            try (TreeWalk tree = TreeWalk.forPath(repository, request.getPath(), commit.getTree())) {
                if (tree == null) {
                    throw StorageException.notFound(request.getPath() + " does not exist at " + request.getRevision());
                }
                FileMode mode = tree.getFileMode(0);
                ObjectId id = tree.getObjectId(0);
                ReadBlobResponse.Builder first = ReadBlobResponse.newBuilder().setId(id.name())
                        .setMode(Integer.toOctalString(mode.getBits()));
                if (mode == FileMode.GITLINK) {
                    // A submodule: the entry names a commit of another repository; there is nothing to read here.
                    sender.send(first.setType("commit").build());
                    sender.complete();
                    return;
                }
                ObjectLoader loader = repository.open(id);
                long size = loader.getSize();
                if (mode == FileMode.TREE) {
                    sender.send(first.setType("tree").setSize(size).build());
                    sender.complete();
                    return;
                }
                first.setType("blob").setSize(size);
                long limit = request.getLimit() > 0 ? Math.min(request.getLimit(), size) : size;
                try (InputStream in = loader.openStream()) {
                    byte[] buffer = new byte[CHUNK];
                    long sent = 0;
                    boolean headerSent = false;
                    while (sent < limit) {
                        int read = in.read(buffer, 0, (int) Math.min(buffer.length, limit - sent));
                        if (read < 0) {
                            break;
                        }
                        ReadBlobResponse.Builder message = headerSent ? ReadBlobResponse.newBuilder() : first;
                        sender.send(message.setData(ByteString.copyFrom(buffer, 0, read)).build());
                        headerSent = true;
                        sent += read;
                    }
                    if (!headerSent) {
                        sender.send(first.build());
                    }
                }
            }
            sender.complete();
        } catch (StorageException e) {
            responses.onError(Statuses.of(e));
        } catch (IOException e) {
            responses.onError(Statuses.of(new StorageException(StorageException.Kind.NOT_FOUND, "cannot read "
                    + request.getPath() + " at " + request.getRevision() + ": " + e.getMessage(), e)));
        }
    }

    static ObjectId resolve(org.eclipse.jgit.lib.Repository repository, String revision) throws StorageException,
            IOException {
        if (revision.isEmpty() || revision.length() > 512 || revision.startsWith("-") || revision.contains("..")
                || !revision.matches("[A-Za-z0-9/._@~^+-]+")) {
            // Names, ids and ~/^ ancestry only: no ranges, paths, reflog selectors or ^{/regex} searches.
            throw StorageException.invalid("revision: '" + revision + "' (expected a branch, tag or commit id)");
        }
        try {
            ObjectId id = repository.resolve(revision + "^{commit}");
            if (id == null) {
                throw StorageException.notFound("revision " + revision + " does not exist");
            }
            return id;
        } catch (RevisionSyntaxException e) {
            throw StorageException.invalid("revision: '" + revision + "' is not a revision");
        }
    }
}
