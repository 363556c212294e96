package io.gitward.storage.commit;

import io.gitward.proto.CommitFilesRequest;
import io.gitward.proto.FileAction;
import io.gitward.proto.Signature;
import io.gitward.storage.StorageException;
import io.gitward.storage.refs.RefChange;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEditor;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * Builds the commit of a CommitFiles request: the parent's tree with the actions applied, the author and
 * committer with the caller's times (so replicas write byte-identical commits), written to the object
 * database but not yet referenced. The caller moves the branch through a {@code RefTransaction}.
 */
public final class FileCommit {
    private FileCommit() {
    }

    /** The written commit and the reference change that would publish it. */
    public record Prepared(ObjectId commit, ObjectId parent, RefChange change) {
    }

    /**
     * @param requireTimes true inside a transaction: every replica must write the same commit, so the caller
     *                     must supply the times
     */
    public static Prepared prepare(Repository repository, CommitFilesRequest request, boolean requireTimes, Clock clock)
            throws StorageException {
        String branch = request.getBranch();
        String refName = Constants.R_HEADS + branch;
        if (branch.isEmpty() || !Repository.isValidRefName(refName)) {
            throw StorageException.invalid("branch: '" + branch + "' is not a valid branch name");
        }
        if (request.getMessage().isBlank()) {
            throw StorageException.invalid("message: empty (expected a commit message)");
        }
        if (request.getActionsCount() == 0) {
            throw StorageException.invalid("actions: empty (expected at least one file action)");
        }
        PersonIdent author = person("author", request.getAuthor(), requireTimes, clock);
        PersonIdent committer = person("committer", request.getCommitter(), requireTimes, clock);
        try (ObjectInserter inserter = repository.newObjectInserter(); ObjectReader reader = repository.newObjectReader();
                RevWalk walk = new RevWalk(reader)) {
            Ref ref = repository.exactRef(refName);
            ObjectId current = ref == null ? ObjectId.zeroId() : ref.getObjectId();
            ObjectId expected = parseExpected(request.getExpectedParentId());
            if (expected != null && !expected.equals(current)) {
                throw StorageException.failed("branch " + branch + " is at " + (current.equals(ObjectId.zeroId()) ? "nothing"
                        : current.name()) + ", expected " + (expected.equals(ObjectId.zeroId()) ? "it not to exist"
                        : expected.name()) + "; nothing was changed");
            }
            ObjectId parent = current.equals(ObjectId.zeroId()) ? startPoint(repository, request.getStartBranch()) : current;
            DirCache index = DirCache.newInCore();
            DirCacheBuilder builder = index.builder();
            if (parent != null) {
                RevCommit parentCommit = walk.parseCommit(parent);
                builder.addTree(new byte[0], DirCacheEntry.STAGE_0, reader, parentCommit.getTree());
            }
            builder.finish();
            applyActions(index, request, inserter);
            ObjectId tree = index.writeTree(inserter);
            CommitBuilder commit = new CommitBuilder();
            commit.setTreeId(tree);
            if (parent != null) {
                commit.setParentId(parent);
            }
            commit.setAuthor(author);
            commit.setCommitter(committer);
            commit.setMessage(request.getMessage());
            ObjectId id = inserter.insert(commit);
            inserter.flush();
            return new Prepared(id, parent, new RefChange(refName, current, id));
        } catch (IOException e) {
            throw new StorageException(StorageException.Kind.INTERNAL, "cannot build the commit: " + e.getMessage(), e);
        }
    }

    private static void applyActions(DirCache index, CommitFilesRequest request, ObjectInserter inserter)
            throws StorageException, IOException {
        Set<String> touched = new HashSet<>();
        for (int i = 0; i < request.getActionsCount(); i++) {
            FileAction action = request.getActions(i);
            String path = validPath("actions[" + i + "].path", action.getPath());
            if (!touched.add(path)) {
                throw StorageException.invalid("actions[" + i + "]: " + path + " is changed twice in one commit");
            }
            DirCacheEntry existing = index.getEntry(path);
            DirCacheEditor editor = index.editor();
            switch (action.getType()) {
                case CREATE -> {
                    requireAbsent(index, existing, path, i);
                    editor.add(blob(path, action.getContent().toByteArray(), action.getExecutable(), inserter));
                }
                case UPDATE -> {
                    requirePresent(existing, path, i);
                    editor.add(blob(path, action.getContent().toByteArray(), action.getExecutable(), inserter));
                }
                case DELETE -> {
                    requirePresent(existing, path, i);
                    editor.add(new DirCacheEditor.DeletePath(path));
                }
                case MOVE -> {
                    String from = validPath("actions[" + i + "].previous_path", action.getPreviousPath());
                    DirCacheEntry source = index.getEntry(from);
                    requirePresent(source, from, i);
                    requireAbsent(index, existing, path, i);
                    ObjectId content = action.getContent().isEmpty() ? source.getObjectId()
                            : inserter.insert(Constants.OBJ_BLOB, action.getContent().toByteArray());
                    FileMode mode = action.getContent().isEmpty() ? source.getFileMode()
                            : action.getExecutable() ? FileMode.EXECUTABLE_FILE : FileMode.REGULAR_FILE;
                    editor.add(new DirCacheEditor.DeletePath(from));
                    editor.add(new DirCacheEditor.PathEdit(path) {
                        @Override
                        public void apply(DirCacheEntry entry) {
                            entry.setObjectId(content);
                            entry.setFileMode(mode);
                        }
                    });
                }
                default -> throw StorageException.invalid("actions[" + i + "].type: " + action.getType()
                        + " (expected CREATE, UPDATE, DELETE or MOVE)");
            }
            try {
                editor.finish();
            } catch (RuntimeException e) {
                // JGit reports a file/directory clash (a/b created where a is a file) as a runtime exception.
                throw StorageException.failed("actions[" + i + "]: " + path + " conflicts with an existing path ("
                        + e.getClass().getSimpleName() + "); nothing was changed");
            }
        }
    }

    private static DirCacheEditor.PathEdit blob(String path, byte[] content, boolean executable, ObjectInserter inserter)
            throws IOException {
        ObjectId id = inserter.insert(Constants.OBJ_BLOB, content);
        return new DirCacheEditor.PathEdit(path) {
            @Override
            public void apply(DirCacheEntry entry) {
                entry.setObjectId(id);
                entry.setFileMode(executable ? FileMode.EXECUTABLE_FILE : FileMode.REGULAR_FILE);
            }
        };
    }

    private static void requirePresent(DirCacheEntry entry, String path, int index) throws StorageException {
        if (entry == null) {
            throw StorageException.failed("actions[" + index + "]: " + path + " does not exist; nothing was changed");
        }
    }

    private static void requireAbsent(DirCache dirCache, DirCacheEntry entry, String path, int index)
            throws StorageException {
        if (entry != null || dirCache.getEntriesWithin(path).length > 0) {
            throw StorageException.failed("actions[" + index + "]: " + path + " already exists; nothing was changed");
        }
    }

    /** A path inside the tree: relative, no "." / ".." / empty segments, never a ".git" segment in any case. */
    static String validPath(String field, String path) throws StorageException {
        if (path.isEmpty() || path.startsWith("/") || path.endsWith("/") || path.indexOf('\0') >= 0 || path.contains("\\")) {
            throw StorageException.invalid(field + ": '" + path.replace("\0", "\\0") + "' is not a relative file path");
        }
        for (String segment : path.split("/")) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")
                    || segment.toLowerCase(Locale.ROOT).equals(".git")) {
                throw StorageException.invalid(field + ": '" + path + "' has a forbidden segment '" + segment + "'");
            }
        }
        return path;
    }

    private static ObjectId parseExpected(String value) throws StorageException {
        if (value.isEmpty()) {
            return null;
        }
        if (!ObjectId.isId(value)) {
            throw StorageException.invalid("expected_parent_id: '" + value + "' (expected 40 hex digits)");
        }
        return ObjectId.fromString(value);
    }

    private static ObjectId startPoint(Repository repository, String startBranch) throws StorageException, IOException {
        if (startBranch.isEmpty()) {
            return null;
        }
        Ref start = repository.exactRef(Constants.R_HEADS + startBranch);
        if (start == null) {
            throw StorageException.failed("start_branch " + startBranch + " does not exist");
        }
        return start.getObjectId();
    }

    private static PersonIdent person(String field, Signature signature, boolean requireTime, Clock clock)
            throws StorageException {
        if (signature.getName().isBlank() || signature.getEmail().isBlank()) {
            throw StorageException.invalid(field + ": name and email are required");
        }
        if (!signature.getTimeSet()) {
            if (requireTime) {
                throw StorageException.invalid(field + ".time_seconds: required inside a transaction, so every replica "
                        + "writes the same commit");
            }
            return new PersonIdent(signature.getName(), signature.getEmail(), clock.instant(), ZoneOffset.UTC);
        }
        int offset = signature.getTimezoneOffsetMinutes();
        if (offset < -14 * 60 || offset > 14 * 60) {
            throw StorageException.invalid(field + ".timezone_offset_minutes: " + offset + " (expected -840..840)");
        }
        return new PersonIdent(signature.getName(), signature.getEmail(), Instant.ofEpochSecond(signature.getTimeSeconds()),
                ZoneOffset.ofTotalSeconds(offset * 60));
    }
}
