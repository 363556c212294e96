package io.gitward.storage.grpc;

import io.gitward.storage.StorageException;
import java.util.List;

/** The {@code Git-Protocol} header value ("version=2", colon-separated), as JGit's extra parameters. */
final class GitProtocol {
    private static final int MAX_LENGTH = 256;

    private GitProtocol() {
    }

    static List<String> parameters(String value) throws StorageException {
        if (value.isEmpty()) {
            return List.of();
        }
        if (value.length() > MAX_LENGTH) {
            throw StorageException.invalid("git_protocol: longer than " + MAX_LENGTH + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw StorageException.invalid("git_protocol: contains a character outside printable ASCII (expected"
                        + " e.g. version=2)");
            }
        }
        return List.of(value.split(":"));
    }
}
