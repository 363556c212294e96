package io.gitward.tests.storage;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.internal.storage.dfs.DfsRepositoryDescription;
import org.eclipse.jgit.internal.storage.dfs.InMemoryRepository;
import org.eclipse.jgit.internal.storage.pack.PackWriter;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;

/** Receive-pack request bodies built byte by byte, for calls made without an HTTP client in between. */
public final class PushBodies {
    private PushBodies() {
    }

    /**
     * One command moving main from {@code base} to a new commit that adds {@code file}, followed by a pack of exactly
     * the three new objects (the parent exists only on the receiving side).
     */
    public static byte[] oneCommit(ObjectId base, String file) throws Exception {
        InMemoryRepository scratch = new InMemoryRepository(new DfsRepositoryDescription("push"));
        PersonIdent pusher = new PersonIdent("Pat Pusher", "pat@example.com", java.time.Instant.ofEpochSecond(Requests.TIME),
                java.time.ZoneOffset.UTC);
        List<ObjectId> objects = new ArrayList<>();
        try (ObjectInserter inserter = scratch.newObjectInserter()) {
            ObjectId blob = inserter.insert(Constants.OBJ_BLOB, "pushed\n".getBytes(StandardCharsets.UTF_8));
            TreeFormatter tree = new TreeFormatter();
            tree.append(file, FileMode.REGULAR_FILE, blob);
            CommitBuilder commit = new CommitBuilder();
            commit.setTreeId(inserter.insert(tree));
            commit.setParentId(base);
            commit.setAuthor(pusher);
            commit.setCommitter(pusher);
            commit.setMessage("pushed\n");
            objects.addAll(List.of(inserter.insert(commit), commit.getTreeId(), blob));
            inserter.flush();
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        String command = base.name() + " " + objects.get(0).name() + " refs/heads/main\0report-status atomic\n";
        body.writeBytes(String.format("%04x%s0000", command.length() + 4, command).getBytes(StandardCharsets.ISO_8859_1));
        try (PackWriter writer = new PackWriter(scratch); RevWalk walk = new RevWalk(scratch)) {
            List<RevObject> listed = new ArrayList<>();
            for (ObjectId id : objects) {
                listed.add(walk.parseAny(id));
            }
            writer.preparePack(listed.iterator());
            writer.writePack(NullProgressMonitor.INSTANCE, NullProgressMonitor.INSTANCE, body);
        }
        return body.toByteArray();
    }
}
