package io.gitward.storage.refs;

import static java.util.Objects.requireNonNull;

import org.eclipse.jgit.lib.ObjectId;

/**
 * One reference update: the value it must have now ({@code null}: not checked; zero id: must not exist) and
 * the value it gets (zero id: delete).
 */
public record RefChange(String name, ObjectId expectedOld, ObjectId newId) {
    public RefChange {
        requireNonNull(name, "name");
        requireNonNull(newId, "newId");
    }
}
