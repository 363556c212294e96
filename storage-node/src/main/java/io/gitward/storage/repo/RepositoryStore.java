package io.gitward.storage.repo;

import static java.util.Objects.requireNonNull;

import io.gitward.proto.Repository;
import io.gitward.storage.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.RepositoryCache;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.util.FS;

/**
 * The bare repositories of one storage: create, open (refusing layouts that could redirect outside the
 * root), remove, and one lock per repository that mutators hold across prepare → vote → commit.
 */
public final class RepositoryStore implements AutoCloseable {
    /** Files that make git read elsewhere: never present in a repository this node created. */
    private static final List<String> REDIRECTS = List.of("commondir", "gitdir", "objects/info/alternates",
            "objects/info/http-alternates");

    private final RepositoryLocator locator;
    private final ConcurrentHashMap<Path, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final java.util.Set<RepositoryCache.FileKey> opened = ConcurrentHashMap.newKeySet();

    public RepositoryStore(RepositoryLocator locator) {
        this.locator = requireNonNull(locator, "locator");
    }

    public RepositoryLocator locator() {
        return locator;
    }

    public Path locate(Repository repository) throws StorageException {
        if (repository == null || !repositoryIsSet(repository)) {
            throw StorageException.invalid("repository: missing (expected storage_name and relative_path)");
        }
        return locator.locate(repository.getStorageName(), repository.getRelativePath());
    }

    private static boolean repositoryIsSet(Repository repository) {
        return !repository.getStorageName().isEmpty() || !repository.getRelativePath().isEmpty();
    }

    public boolean exists(Repository repository) throws StorageException {
        return Files.isDirectory(locate(repository), LinkOption.NOFOLLOW_LINKS);
    }

    /** Opens an existing repository; the caller closes it. */
    public org.eclipse.jgit.lib.Repository open(Repository repository) throws StorageException {
        Path dir = locate(repository);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw StorageException.notFound("repository " + repository.getRelativePath() + " does not exist on "
                    + locator.storageName());
        }
        for (String redirect : REDIRECTS) {
            if (Files.exists(dir.resolve(redirect), LinkOption.NOFOLLOW_LINKS)) {
                throw new StorageException(StorageException.Kind.FAILED_PRECONDITION, "repository "
                        + repository.getRelativePath() + " contains " + redirect + ", which could point outside the storage"
                        + " root; refusing to open it");
            }
        }
        try {
            // Shared, reference-counted instances: reference and pack caches (a parsed packed-refs with 100k
            // entries) survive between calls instead of being rebuilt for each one.
            RepositoryCache.FileKey key = RepositoryCache.FileKey.exact(dir.toFile(), FS.DETECTED);
            opened.add(key);
            return RepositoryCache.open(key, true);
        } catch (IOException e) {
            throw new StorageException(StorageException.Kind.FAILED_PRECONDITION, "repository " + repository.getRelativePath()
                    + " cannot be opened: " + e.getMessage(), e);
        }
    }

    public void create(Repository repository, String defaultBranch) throws StorageException {
        Path dir = locate(repository);
        String branch = defaultBranch == null || defaultBranch.isEmpty() ? "main" : defaultBranch;
        if (!org.eclipse.jgit.lib.Repository.isValidRefName(Constants.R_HEADS + branch)) {
            throw StorageException.invalid("default_branch: '" + branch + "' is not a valid branch name");
        }
        ReentrantLock lock = lockFor(dir);
        lock.lock();
        try {
            if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw new StorageException(StorageException.Kind.ALREADY_EXISTS, "repository " + repository.getRelativePath()
                        + " already exists on " + locator.storageName());
            }
            Files.createDirectories(dir.getParent());
            Path staging = dir.resolveSibling("." + dir.getFileName() + ".creating-" + System.nanoTime());
            try (org.eclipse.jgit.lib.Repository created = new FileRepositoryBuilder().setGitDir(staging.toFile()).setBare()
                    .build()) {
                created.create(true);
                RefUpdate head = created.updateRef(Constants.HEAD);
                head.disableRefLog();
                head.link(Constants.R_HEADS + branch);
            }
            Files.move(staging, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new StorageException(StorageException.Kind.INTERNAL, "cannot create " + repository.getRelativePath() + ": "
                    + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    public void remove(Repository repository) throws StorageException {
        Path dir = locate(repository);
        ReentrantLock lock = lockFor(dir);
        lock.lock();
        try {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw StorageException.notFound("repository " + repository.getRelativePath() + " does not exist on "
                        + locator.storageName());
            }
            forget(dir);
            // Rename first so no reader sees a half-deleted repository, then delete.
            Path doomed = dir.resolveSibling("." + dir.getFileName() + ".removing-" + System.nanoTime());
            Files.move(dir, doomed, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            try (Stream<Path> walk = Files.walk(doomed)) {
                for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            }
        } catch (IOException e) {
            throw new StorageException(StorageException.Kind.INTERNAL, "cannot remove " + repository.getRelativePath() + ": "
                    + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private void forget(Path dir) {
        RepositoryCache.FileKey key = RepositoryCache.FileKey.exact(dir.toFile(), FS.DETECTED);
        if (opened.remove(key)) {
            RepositoryCache.unregister(key);
        }
    }

    /** Closes the cached repositories of this store (the node is stopping). */
    @Override
    public void close() {
        for (RepositoryCache.FileKey key : opened) {
            RepositoryCache.unregister(key);
        }
        opened.clear();
    }

    /** The lock mutators of this repository hold across prepare → vote → commit. */
    public ReentrantLock lockFor(Repository repository) throws StorageException {
        return lockFor(locate(repository));
    }

    private ReentrantLock lockFor(Path dir) {
        return locks.computeIfAbsent(dir, path -> new ReentrantLock(true));
    }
}
