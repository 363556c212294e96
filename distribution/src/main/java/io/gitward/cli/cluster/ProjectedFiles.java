package io.gitward.cli.cluster;

import io.gitward.security.files.SecureFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An identity's TLS files laid out the way kubelet projects a Secret: {@code key.pem -> ..data/key.pem} and
 * {@code ..data -> ..v7}. A new version is written beside the old one and {@code ..data} is swapped with one
 * atomic rename, so a node reloading its files sees either every old file or every new one — never a key
 * without its chain.
 */
public final class ProjectedFiles {
    public static final String KEY = "key.pem";
    public static final String CHAIN = "chain.pem";
    public static final String ROOTS = "roots.pem";
    public static final String CRL = "crl.pem";
    private static final List<String> NAMES = List.of(KEY, CHAIN, ROOTS, CRL);
    private static final String DATA = "..data";
    private static final String VERSION_PREFIX = "..v";

    private final Path dir;

    public ProjectedFiles(Path dir) {
        this.dir = dir;
    }

    /** The current content of {@code name}, or null before the first publication. */
    public byte[] read(String name) throws IOException {
        Path file = dir.resolve(name);
        return Files.exists(file) ? Files.readAllBytes(file) : null;
    }

    /** Publishes all four files at once (the key 0600); older versions are removed afterwards. */
    public void publish(Map<String, byte[]> files) throws IOException {
        if (!files.keySet().equals(java.util.Set.copyOf(NAMES))) {
            throw new IllegalArgumentException("a publication carries exactly " + NAMES + ", not " + files.keySet());
        }
        SecureFiles.createDirectories(dir, SecureFiles.OWNER_ONLY_DIRECTORY);
        Path version = dir.resolve(VERSION_PREFIX + (latestVersion() + 1));
        SecureFiles.createDirectories(version, SecureFiles.OWNER_ONLY_DIRECTORY);
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            if (file.getKey().equals(KEY)) {
                SecureFiles.writePrivate(version.resolve(file.getKey()), file.getValue());
            } else {
                SecureFiles.writePublic(version.resolve(file.getKey()), file.getValue());
            }
        }
        Path link = dir.resolve(DATA + ".tmp");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, version.getFileName());
        Files.move(link, dir.resolve(DATA), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        for (String name : NAMES) {
            Path visible = dir.resolve(name);
            if (!Files.isSymbolicLink(visible)) {
                Files.createSymbolicLink(visible, Path.of(DATA).resolve(name));
            }
        }
        removeVersionsBefore(version);
    }

    private long latestVersion() throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(path -> path.getFileName().toString()).filter(name -> name.startsWith(VERSION_PREFIX))
                    .mapToLong(name -> Long.parseLong(name.substring(VERSION_PREFIX.length()))).max().orElse(0);
        }
    }

    private void removeVersionsBefore(Path current) throws IOException {
        List<Path> old;
        try (Stream<Path> entries = Files.list(dir)) {
            old = entries.filter(path -> path.getFileName().toString().startsWith(VERSION_PREFIX)
                    && !path.equals(current) && Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)).toList();
        }
        for (Path version : old) {
            try (Stream<Path> files = Files.walk(version)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }
}
