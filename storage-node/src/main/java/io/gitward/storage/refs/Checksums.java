package io.gitward.storage.refs;

import io.gitward.storage.StorageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;

/**
 * The replica checksum: SHA-256 over "name target" of every reference sorted by name, so it does not
 * depend on enumeration order and is equal on two replicas exactly when their references are. 64 zeros
 * when there are none.
 */
public final class Checksums {
    public static final String EMPTY = "0".repeat(64);

    private Checksums() {
    }

    public record Checksum(String hex, long referenceCount) {
    }

    public static Checksum of(Repository repository) throws StorageException {
        try {
            List<Ref> refs = repository.getRefDatabase().getRefsByPrefix("refs/");
            if (refs.isEmpty()) {
                return new Checksum(EMPTY, 0);
            }
            List<Ref> sorted = refs.stream().sorted(java.util.Comparator.comparing(Ref::getName)).toList();
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            long count = 0;
            for (Ref ref : sorted) {
                if (ref.getObjectId() == null) {
                    continue;
                }
                digest.update((ref.getName() + " " + ref.getObjectId().name() + "\n").getBytes(StandardCharsets.UTF_8));
                count++;
            }
            return new Checksum(HexFormat.of().formatHex(digest.digest()), count);
        } catch (IOException e) {
            throw new StorageException(StorageException.Kind.INTERNAL, "cannot read references: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is unavailable", e);
        }
    }
}
