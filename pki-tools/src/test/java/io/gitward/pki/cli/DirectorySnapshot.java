package io.gitward.pki.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Every path under a directory (symlinks not followed) with a digest of each regular file. Two snapshots
 * around a refused command prove it created, removed and changed nothing.
 */
record DirectorySnapshot(Path root, Map<String, String> entries) {

    static DirectorySnapshot of(Path root) {
        Map<String, String> entries = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : (Iterable<Path>) walk::iterator) {
                entries.put(root.relativize(path).toString(), describe(path));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new DirectorySnapshot(root, entries);
    }

    /** Fails naming every path that appeared, disappeared or changed since {@code before}. */
    void assertUnchangedSince(DirectorySnapshot before, String context) {
        List<String> differences = new ArrayList<>();
        for (Map.Entry<String, String> entry : entries.entrySet()) {
            String old = before.entries.get(entry.getKey());
            if (old == null) {
                differences.add("new: " + entry.getKey());
            } else if (!old.equals(entry.getValue())) {
                differences.add("changed: " + entry.getKey());
            }
        }
        for (String path : before.entries.keySet()) {
            if (!entries.containsKey(path)) {
                differences.add("removed: " + path);
            }
        }
        if (!differences.isEmpty()) {
            fail("a refused command must leave the directory as it was, but:\n  " + String.join("\n  ", differences)
                    + "\n" + context);
        }
    }

    private static String describe(Path path) throws IOException {
        if (Files.isSymbolicLink(path)) {
            return "link -> " + Files.readSymbolicLink(path);
        }
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            return "directory";
        }
        try {
            return "file " + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(path)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
