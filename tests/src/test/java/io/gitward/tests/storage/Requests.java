package io.gitward.tests.storage;

import com.google.protobuf.ByteString;
import io.gitward.proto.CommitFilesRequest;
import io.gitward.proto.FileAction;
import io.gitward.proto.ReferenceUpdate;
import io.gitward.proto.Repository;
import io.gitward.proto.Signature;
import java.nio.charset.StandardCharsets;

/** Request builders shared by the storage tests. */
public final class Requests {
    /** A fixed author time (2026-01-02T03:04:05Z) so identical requests write identical commits. */
    public static final long TIME = 1_767_323_045L;

    private Requests() {
    }

    public static Repository repository(String storage, String relativePath) {
        return Repository.newBuilder().setStorageName(storage).setRelativePath(relativePath).build();
    }

    public static Signature person(String name, int timezoneMinutes) {
        return Signature.newBuilder().setName(name).setEmail(name.toLowerCase(java.util.Locale.ROOT).replace(' ', '.')
                + "@example.com").setTimeSeconds(TIME).setTimezoneOffsetMinutes(timezoneMinutes).setTimeSet(true).build();
    }

    public static FileAction create(String path, String content) {
        return FileAction.newBuilder().setType(FileAction.Type.CREATE).setPath(path)
                .setContent(ByteString.copyFrom(content, StandardCharsets.UTF_8)).build();
    }

    public static FileAction update(String path, String content) {
        return FileAction.newBuilder().setType(FileAction.Type.UPDATE).setPath(path)
                .setContent(ByteString.copyFrom(content, StandardCharsets.UTF_8)).build();
    }

    public static FileAction delete(String path) {
        return FileAction.newBuilder().setType(FileAction.Type.DELETE).setPath(path).build();
    }

    public static FileAction move(String from, String to) {
        return FileAction.newBuilder().setType(FileAction.Type.MOVE).setPreviousPath(from).setPath(to).build();
    }

    /** A commit on {@code branch} by "Ada Author" (+01:00) committed by "Cy Committer" (-05:30), times fixed. */
    public static CommitFilesRequest.Builder commit(Repository repository, String branch, String message,
            FileAction... actions) {
        return CommitFilesRequest.newBuilder().setRepository(repository).setBranch(branch).setMessage(message)
                .setAuthor(person("Ada Author", 60)).setCommitter(person("Cy Committer", -330))
                .addAllActions(java.util.List.of(actions));
    }

    public static ReferenceUpdate refUpdate(String name, String oldTarget, String newTarget) {
        return ReferenceUpdate.newBuilder().setName(name).setOldTarget(oldTarget).setNewTarget(newTarget).build();
    }
}
