package io.gitward.tests.consistency;

import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;

/**
 * Appends with a real Git push (JGit's smart-HTTP client, through a bridge to the proxy's SmartHttpService): a new
 * commit made locally on the head the client saw, pushed with that head as the expected old value. The local
 * repository is shared by every push client of a branch, so each client has every commit it may build on.
 *
 * <p>What an answer proves: the ref's {@code ok} in the report → applied; the remote's advertisement already
 * differing from the expected head (JGit then sends nothing) or a report refusing the old value → a mismatch;
 * anything else — a lost connection, an HTTP error, other refusals — may or may not have applied.
 */
final class PushAppender implements ChainClient.Appender {
    static final String FILE = "push.txt";
    /** Bounds a push whose proxy died mid-way (JGit waits forever by default); the outcome is then unknown. */
    private static final int PUSH_TIMEOUT_SECONDS = 10;

    private final Repository local;
    private final String url;
    private final String ref;

    PushAppender(Repository local, String url, String ref) {
        this.local = local;
        this.url = url;
        this.ref = ref;
    }

    @Override
    public ChainClient.Attempt append(String client, int sequence, String parent) {
        String commit;
        try {
            commit = commit(client, sequence, parent);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a commit to the local repository " + local.getDirectory(), e);
        }
        try (Transport transport = Transport.open(local, new URIish(url))) {
            transport.setTimeout(PUSH_TIMEOUT_SECONDS);
            RemoteRefUpdate update = new RemoteRefUpdate(local, commit, ref, false, null,
                    parent == null ? ObjectId.zeroId() : ObjectId.fromString(parent));
            PushResult result = transport.push(NullProgressMonitor.INSTANCE, List.of(update));
            RemoteRefUpdate reported = result.getRemoteUpdate(ref);
            return switch (reported.getStatus()) {
                case OK -> new ChainClient.Attempt(commit, Operation.Outcome.OK, Status.Code.OK, "");
                case REJECTED_REMOTE_CHANGED -> new ChainClient.Attempt(commit, Operation.Outcome.MISMATCH,
                        Status.Code.FAILED_PRECONDITION, "advertised head differs from the expected one");
                case REJECTED_OTHER_REASON -> refused(commit, String.valueOf(reported.getMessage()));
                default -> new ChainClient.Attempt(commit, Operation.Outcome.UNKNOWN, Status.Code.UNKNOWN,
                        reported.getStatus() + " " + reported.getMessage());
            };
        } catch (TransportException e) {
            return new ChainClient.Attempt(commit, Operation.Outcome.UNKNOWN, Status.Code.UNAVAILABLE,
                    String.valueOf(e.getMessage()));
        } catch (IOException | java.net.URISyntaxException | RuntimeException e) {
            return new ChainClient.Attempt(commit, Operation.Outcome.UNKNOWN, Status.Code.UNKNOWN, e.toString());
        }
    }

    /** A refusal in the push report: an old value that does not match is a mismatch, the rest is not proof. */
    private static ChainClient.Attempt refused(String commit, String message) {
        String lower = message.toLowerCase(Locale.ROOT);
        boolean staleOldValue = lower.contains("lock_failure") || lower.contains("invalid old id")
                || lower.contains("rejected_nonfastforward") || lower.contains("expected");
        return new ChainClient.Attempt(commit, staleOldValue ? Operation.Outcome.MISMATCH : Operation.Outcome.UNKNOWN,
                staleOldValue ? Status.Code.FAILED_PRECONDITION : Status.Code.UNKNOWN, "ng " + message);
    }

    private String commit(String client, int sequence, String parent) throws IOException {
        PersonIdent person = new PersonIdent("Push Client", "push@example.com", Instant.ofEpochSecond(1_767_323_045L),
                ZoneOffset.UTC);
        try (ObjectInserter inserter = local.newObjectInserter()) {
            TreeFormatter tree = new TreeFormatter();
            tree.append(FILE, FileMode.REGULAR_FILE, inserter.insert(Constants.OBJ_BLOB,
                    (client + " push " + sequence + "\n").getBytes(StandardCharsets.UTF_8)));
            CommitBuilder commit = new CommitBuilder();
            commit.setTreeId(inserter.insert(tree));
            if (parent != null) {
                commit.setParentId(ObjectId.fromString(parent));
            }
            commit.setAuthor(person);
            commit.setCommitter(person);
            commit.setMessage("push " + sequence + " by " + client + "\n");
            ObjectId id = inserter.insert(commit);
            inserter.flush();
            return id.name();
        }
    }
}
