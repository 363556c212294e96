package io.gitward.storage.pack;

import io.gitward.storage.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * Where a push's objects land until the push is accepted: a temporary object directory inside the
 * repository's, with the real one as an alternate (the same idea as git's receive quarantine). A refused
 * push (bad objects, failed checks, an aborted vote) leaves nothing behind; an accepted one is published
 * by moving its files into the real object directory, index files last so no reader sees a pack without
 * its data.
 */
final class Quarantine implements AutoCloseable {
    private final Path objects;
    private final Path incoming;
    private final FileRepository repository;

    private Quarantine(Path objects, Path incoming, FileRepository repository) {
        this.objects = objects;
        this.incoming = incoming;
        this.repository = repository;
    }

    static Quarantine open(Repository target) throws IOException {
        Path objects = ((FileRepository) target).getObjectsDirectory().toPath();
        Path incoming = Files.createTempDirectory(objects, "incoming-");
        Files.createDirectories(incoming.resolve("pack"));
        FileRepository repository = (FileRepository) new FileRepositoryBuilder().setGitDir(target.getDirectory())
                .setObjectDirectory(incoming.toFile()).addAlternateObjectDirectory(objects.toFile()).setBare()
                .setMustExist(true).build();
        return new Quarantine(objects, incoming, repository);
    }

    /** The repository to receive into: new objects go to the quarantine, references are the real ones. */
    Repository repository() {
        return repository;
    }

    /** Moves the quarantined objects into the real object directory. */
    void publish() throws StorageException {
        try {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(incoming)) {
                files = new ArrayList<>(walk.filter(Files::isRegularFile)
                        .filter(path -> !path.getFileName().toString().endsWith(".keep")).toList());
            }
            // Data before indexes: a reader that finds an .idx must find its .pack.
            files.sort(Comparator.comparing((Path path) -> path.getFileName().toString().endsWith(".idx"))
                    .thenComparing(Path::toString));
            for (Path file : files) {
                Path destination = objects.resolve(incoming.relativize(file).toString());
                Files.createDirectories(destination.getParent());
                if (!Files.exists(destination)) {
                    Files.move(file, destination, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        } catch (IOException e) {
            throw new StorageException(StorageException.Kind.INTERNAL, "cannot publish the received objects: "
                    + e.getMessage() + "; no reference was changed", e);
        }
    }

    /** Deletes whatever is left in the quarantine. */
    @Override
    public void close() {
        repository.close();
        try (Stream<Path> walk = Files.walk(incoming)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(Quarantine.class).warn("cannot remove quarantine {}: {}", incoming,
                    e.getMessage());
        }
    }
}
