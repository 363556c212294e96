package io.gitward.security.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * Writes files so that readers never see a partial file and private keys are never readable by others,
 * not even for a moment: content goes to a temporary file created with its final permissions
 * (without following symlinks), is forced to disk, then renamed over the target.
 */
public final class SecureFiles {
    public static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    public static final Set<PosixFilePermission> PUBLIC_FILE = PosixFilePermissions.fromString("rw-r--r--");
    public static final Set<PosixFilePermission> OWNER_ONLY_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> PUBLIC_DIRECTORY = PosixFilePermissions.fromString("rwxr-xr-x");

    private static final SecureRandom RANDOM = new SecureRandom();

    private SecureFiles() {
    }

    /** Atomically replaces {@code target} with a file readable only by its owner (0600). */
    public static void writePrivate(Path target, byte[] content) throws IOException {
        write(target, content, OWNER_ONLY_FILE);
    }

    /** Atomically replaces {@code target} with a world-readable file (0644): certificates, bundles, CRLs. */
    public static void writePublic(Path target, byte[] content) throws IOException {
        write(target, content, PUBLIC_FILE);
    }

    public static void writePublic(Path target, String content) throws IOException {
        writePublic(target, content.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes {@code content} to a new temporary file beside {@code target}; the caller renames it with
     * {@link #commit} once every file of a multi-file change is staged, or deletes it.
     */
    public static Path stage(Path target, byte[] content, Set<PosixFilePermission> permissions) throws IOException {
        Path directory = target.toAbsolutePath().getParent();
        Path temporary = directory.resolve("." + target.getFileName() + ".tmp-" + randomSuffix());
        FileAttribute<Set<PosixFilePermission>> attribute = PosixFilePermissions.asFileAttribute(permissions);
        try (FileChannel channel = FileChannel.open(temporary, Set.<java.nio.file.OpenOption>of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), attribute)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        // The umask may have cleared bits we asked for; never widen, only set what was requested.
        Files.setPosixFilePermissions(temporary, permissions);
        return temporary;
    }

    /** Renames a staged file over its target (the symlink itself is replaced if the target is one). */
    public static void commit(Path staged, Path target) throws IOException {
        try {
            Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(staged);
            throw new IOException(target + ": the file system does not support atomic rename", e);
        }
    }

    private static void write(Path target, byte[] content, Set<PosixFilePermission> permissions) throws IOException {
        Path staged = stage(target, content, permissions);
        try {
            commit(staged, target);
        } catch (IOException e) {
            Files.deleteIfExists(staged);
            throw e;
        }
    }

    /** Creates a directory (and parents) with the given permissions if it does not exist yet. */
    public static void createDirectories(Path directory, Set<PosixFilePermission> permissions) throws IOException {
        if (Files.isDirectory(directory)) {
            return;
        }
        Path parent = directory.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            createDirectories(parent, PUBLIC_DIRECTORY);
        }
        try {
            Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(permissions));
            Files.setPosixFilePermissions(directory, permissions);
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(directory)) {
                throw e;
            }
        }
    }

    /**
     * Refuses a private-key file that group or others may read or write. Follows symlinks on purpose:
     * Kubernetes mounts keys through {@code ..data} links, and the permissions that matter are the target's.
     *
     * @throws InsecureFileException naming the file, its mode and the fix
     */
    public static void requireOwnerOnly(Path keyFile) throws IOException {
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(keyFile);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(keyFile + ": no such file");
        }
        Set<PosixFilePermission> tooOpen = EnumSet.noneOf(PosixFilePermission.class);
        for (PosixFilePermission permission : permissions) {
            if (!permission.name().startsWith("OWNER_")) {
                tooOpen.add(permission);
            }
        }
        if (!tooOpen.isEmpty()) {
            throw new InsecureFileException(keyFile + ": private key is accessible by group or others (mode "
                    + mode(permissions) + "); run: chmod 600 " + keyFile);
        }
    }

    /** Octal mode such as "0644". */
    public static String mode(Set<PosixFilePermission> permissions) {
        int bits = 0;
        for (PosixFilePermission permission : permissions) {
            bits |= 1 << (8 - permission.ordinal());
        }
        return String.format("0%03o", bits);
    }

    private static String randomSuffix() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
