package io.gitward.storage.repo;

import static java.util.Objects.requireNonNull;

import io.gitward.storage.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Turns (storage name, relative path) into a directory under the storage root, refusing every way out of
 * it: absolute paths, "." and ".." segments, hidden segments, NUL and other control characters, upper case
 * and non-ASCII characters (no case or Unicode aliases of one repository), symlinks anywhere on the way,
 * and a resolved real path outside the root. Thread-safe.
 */
public final class RepositoryLocator {
    private static final int MAX_PATH_LENGTH = 512;

    private final String storageName;
    private final Path root;

    /** @param root an existing directory; its real path is the boundary */
    public RepositoryLocator(String storageName, Path root) throws IOException {
        this.storageName = requireNonNull(storageName, "storageName");
        this.root = root.toRealPath();
    }

    public Path root() {
        return root;
    }

    public String storageName() {
        return storageName;
    }

    /** The repository's directory (which may not exist yet). */
    public Path locate(String storage, String relativePath) throws StorageException {
        if (!storageName.equals(storage)) {
            throw StorageException.invalid("repository.storage_name: '" + printable(storage) + "' is not served here (this"
                    + " node serves '" + storageName + "')");
        }
        String problem = problemWith(relativePath);
        if (problem != null) {
            throw StorageException.invalid("repository.relative_path: '" + printable(relativePath) + "' " + problem);
        }
        Path current = root;
        for (String segment : relativePath.split("/")) {
            current = current.resolve(segment);
            if (Files.isSymbolicLink(current)) {
                throw StorageException.invalid("repository.relative_path: '" + relativePath + "' goes through a symlink ("
                        + root.relativize(current) + ")");
            }
        }
        Path resolved = current.normalize();
        if (!resolved.startsWith(root) || resolved.equals(root)) {
            throw StorageException.invalid("repository.relative_path: '" + relativePath + "' leaves the storage root");
        }
        if (Files.exists(resolved, LinkOption.NOFOLLOW_LINKS)) {
            try {
                if (!resolved.toRealPath().startsWith(root)) {
                    throw StorageException.invalid("repository.relative_path: '" + relativePath + "' resolves outside the"
                            + " storage root");
                }
            } catch (IOException e) {
                throw new StorageException(StorageException.Kind.INTERNAL, "cannot resolve " + relativePath, e);
            }
        }
        return resolved;
    }

    /** Null when {@code path} is an acceptable relative repository path, else why not. */
    static String problemWith(String path) {
        if (path == null || path.isEmpty()) {
            return "is empty (expected e.g. group/project.git)";
        }
        if (path.length() > MAX_PATH_LENGTH) {
            return "is longer than " + MAX_PATH_LENGTH + " characters";
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'
                    || c == '@' || c == '/';
            if (!allowed) {
                return "contains '" + (c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c))
                        + "' (expected lower-case ASCII letters, digits, '.', '_', '-', '@', '/')";
            }
        }
        if (path.startsWith("/")) {
            return "is absolute (expected a path below the storage root)";
        }
        if (!path.endsWith(".git")) {
            return "does not end in .git";
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty()) {
                return "has an empty segment";
            }
            if (segment.startsWith(".")) {
                return "has a segment starting with '.' ('" + segment + "')";
            }
        }
        return null;
    }

    private static String printable(String value) {
        if (value == null) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        for (char c : value.toCharArray()) {
            out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return out.length() > 200 ? out.substring(0, 200) + "..." : out.toString();
    }
}
