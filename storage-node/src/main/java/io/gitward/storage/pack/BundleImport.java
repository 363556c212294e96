package io.gitward.storage.pack;

import io.gitward.proto.Repository;
import io.gitward.storage.StorageException;
import io.gitward.storage.refs.RefChange;
import io.gitward.storage.refs.RefTransaction;
import io.gitward.storage.refs.UpdateVoter;
import io.gitward.storage.repo.RepositoryStore;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectChecker;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.transport.FetchConnection;
import org.eclipse.jgit.transport.TransportBundleStream;
import org.eclipse.jgit.transport.URIish;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates a repository from a Git bundle: creates it empty, writes the bundle's objects (object-checked, the
 * stream limited to the maximum pack size), then creates every reference of the bundle in one voted update
 * and points HEAD at the branch the bundle's HEAD names. Anything failing after creation removes the
 * repository again, so a refused import leaves nothing.
 */
public final class BundleImport {
    private static final Logger LOG = LoggerFactory.getLogger(BundleImport.class);

    private final RepositoryStore store;
    private final long maxBytes;

    public BundleImport(RepositoryStore store, long maxBytes) {
        this.store = store;
        this.maxBytes = maxBytes;
    }

    /** @return the number of references created */
    public int run(Repository target, InputStream bundle, UpdateVoter voter) throws StorageException {
        store.create(target, "main");
        boolean imported = false;
        try (org.eclipse.jgit.lib.Repository repository = store.open(target)) {
            List<Ref> refs = fetchObjects(repository, new LimitedInput(bundle, maxBytes));
            List<RefChange> changes = new ArrayList<>();
            ObjectId head = null;
            for (Ref ref : refs) {
                if (ref.getName().equals(Constants.HEAD)) {
                    head = ref.getObjectId();
                } else if (ref.getName().startsWith(Constants.R_REFS) && ref.getObjectId() != null) {
                    changes.add(new RefChange(ref.getName(), ObjectId.zeroId(), ref.getObjectId()));
                }
            }
            if (changes.isEmpty()) {
                throw StorageException.invalid("data: the bundle holds no references under refs/");
            }
            ReentrantLock lock = store.lockFor(target);
            lock.lock();
            try {
                RefTransaction.apply(repository, changes, voter);
            } finally {
                lock.unlock();
            }
            pointHead(repository, changes, head);
            imported = true;
            return changes.size();
        } finally {
            if (!imported) {
                removeQuietly(target);
            }
        }
    }

    private static List<Ref> fetchObjects(org.eclipse.jgit.lib.Repository repository, InputStream bundle)
            throws StorageException {
        try (TransportBundleStream transport = new TransportBundleStream(repository, new URIish().setPath("bundle"),
                bundle)) {
            transport.setObjectChecker(new ObjectChecker().setSafeForWindows(true).setSafeForMacOS(true));
            try (FetchConnection connection = transport.openFetch()) {
                Collection<Ref> refs = connection.getRefs();
                connection.fetch(NullProgressMonitor.INSTANCE, refs, Set.of());
                return new ArrayList<>(refs);
            }
        } catch (TransportException e) {
            throw StorageException.invalid("data: not a usable Git bundle (" + describe(e) + ")");
        }
    }

    /** HEAD names the bundle's HEAD branch (by commit), else main if present, else the first branch. */
    private static void pointHead(org.eclipse.jgit.lib.Repository repository, List<RefChange> changes, ObjectId head)
            throws StorageException {
        List<RefChange> branches = changes.stream().filter(change -> change.name().startsWith(Constants.R_HEADS))
                .sorted(Comparator.comparing(RefChange::name)).toList();
        if (branches.isEmpty()) {
            return;
        }
        String target = branches.stream().filter(change -> change.newId().equals(head)).map(RefChange::name).findFirst()
                .orElse(branches.stream().map(RefChange::name).filter(name -> name.equals(Constants.R_HEADS + "main"))
                        .findFirst().orElse(branches.get(0).name()));
        try {
            RefUpdate update = repository.updateRef(Constants.HEAD);
            update.disableRefLog();
            update.link(target);
        } catch (IOException e) {
            throw new StorageException(StorageException.Kind.INTERNAL, "cannot point HEAD at " + target + ": "
                    + e.getMessage(), e);
        }
    }

    private void removeQuietly(Repository target) {
        try {
            store.remove(target);
        } catch (StorageException e) {
            LOG.warn("could not remove the half-imported repository {}: {}", target.getRelativePath(), e.getMessage());
        }
    }

    private static String describe(Throwable e) {
        StringBuilder message = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            message.append(": ").append(cause.getMessage());
        }
        return message.toString();
    }

    /** Fails the read once more than the limit arrived. */
    private static final class LimitedInput extends FilterInputStream {
        private final long limit;
        private long read;

        LimitedInput(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) throws IOException {
            read += n;
            if (read > limit) {
                throw new IOException("the bundle exceeds the limit of " + limit + " bytes (storage.receive.max-pack-size)");
            }
        }
    }
}
