package io.gitward.tests.security;

import io.gitward.security.files.SecureFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * A directory laid out the way kubelet projects a Secret: {@code key.pem -> ..data/key.pem}, and
 * {@code ..data -> ..2026_..._v7}; an update writes a new version directory and swaps {@code ..data} with
 * one atomic rename, so readers see either every old file or every new one.
 */
final class ProjectedDirectory {
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
        Path versionDir = dir.resolve("..v" + (++version));
        Files.createDirectory(versionDir);
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Path target = versionDir.resolve(file.getKey());
            if (file.getKey().contains("key")) {
                SecureFiles.writePrivate(target, file.getValue());
            } else {
                SecureFiles.writePublic(target, file.getValue());
            }
        }
        Path link = dir.resolve("..data.tmp");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, versionDir.getFileName());
        Files.move(link, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
