package io.gitward.tests.security;

import io.gitward.security.files.SecureFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A directory laid out the way kubelet's atomic writer projects a Secret or ConfigMap: {@code key.pem ->
 * ..data/key.pem}, {@code ..data -> ..2026_12_07_03_12_16.7}. An update writes every file into a new timestamped
 * directory, points {@code ..data_tmp} at it and renames that over {@code ..data} (one atomic step: readers see
 * either every old file or every new one), adds links for new names, then deletes the previous directory at once,
 * as kubelet does: a reader still holding a path into it must cope.
 */
final class ProjectedDirectory {
    private static final DateTimeFormatter KUBELET = DateTimeFormatter.ofPattern("yyyy_MM_dd_HH_mm_ss");
    private final Path dir;
    private int version;

    ProjectedDirectory(Path dir, Iterable<String> names) throws Exception {
        this.dir = Files.createDirectories(dir);
        for (String name : names) {
            Files.createSymbolicLink(dir.resolve(name), Path.of("..data").resolve(name));
        }
    }

    Path file(String name) {
        return dir.resolve(name);
    }

    /** Publishes a new version of every file at once; files named *key* are written 0600. */
    void publish(Map<String, byte[]> files) throws Exception {
        Path data = dir.resolve("..data");
        Path previous = Files.isSymbolicLink(data) ? dir.resolve(Files.readSymbolicLink(data)) : null;
        Path versionDir = dir.resolve(".." + KUBELET.format(ZonedDateTime.now(ZoneOffset.UTC)) + "." + (++version));
        Files.createDirectory(versionDir);
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Path target = versionDir.resolve(file.getKey());
            if (file.getKey().contains("key")) {
                SecureFiles.writePrivate(target, file.getValue());
            } else {
                SecureFiles.writePublic(target, file.getValue());
            }
        }
        Path link = dir.resolve("..data_tmp");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, versionDir.getFileName());
        Files.move(link, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        for (String name : files.keySet()) {
            Path visible = dir.resolve(name);
            if (!Files.exists(visible, LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(visible, Path.of("..data").resolve(name));
            }
        }
        if (previous != null) {
            deleteRecursively(previous);
        }
    }

    /** The version directories present (kubelet keeps only the current one). */
    long versionDirectories() throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(p -> p.getFileName().toString().matches("\\.\\.\\d{4}_.*")
                    && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).count();
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
