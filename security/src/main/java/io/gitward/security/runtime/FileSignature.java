package io.gitward.security.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What identifies a version of a set of files: resolved real path (so a Kubernetes {@code ..data} symlink
 * swap is seen), inode, size and modification time. Equal signatures mean nothing changed.
 */
record FileSignature(List<String> parts) {
    static FileSignature of(List<Path> files) {
        List<String> parts = new ArrayList<>();
        for (Path file : files) {
            if (file == null) {
                continue;
            }
            try {
                BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                parts.add(file.toRealPath() + "|" + attributes.fileKey() + "|" + attributes.size() + "|"
                        + attributes.lastModifiedTime().toMillis());
            } catch (IOException e) {
                parts.add(file + "|missing");
            }
        }
        return new FileSignature(parts);
    }

    boolean differsFrom(FileSignature other) {
        return !Objects.equals(parts, other == null ? null : other.parts);
    }
}
