package io.gitward.tests.consistency;

import io.gitward.proto.CommitFilesRequest;
import io.gitward.proto.CommitFilesResponse;
import io.gitward.proto.OperationServiceGrpc;
import io.gitward.proto.Signature;
import io.gitward.tests.proxy.ProxyClients;
import io.gitward.tests.storage.Requests;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.TreeFormatter;

/**
 * Appends with {@code CommitFiles} through the proxy: the branch holds one file, {@value #FILE}, whose content names
 * the client and the append; the expected parent is the head the client saw. Since the request carries the commit
 * times, the new commit's id is computed here before the call (the same object every replica must write), and an
 * acknowledged commit whose id differs from the prediction is reported as a failure of the test.
 */
final class CommitAppender implements ChainClient.Appender {
    static final String FILE = "log.txt";
    private static final long DEADLINE_MILLIS = 5000;

    private final ManagedChannel channel;
    private final String path;
    private final String branch;
    private final Queue<String> mispredicted = new ConcurrentLinkedQueue<>();

    CommitAppender(ManagedChannel channel, String path, String branch) {
        this.channel = channel;
        this.path = path;
        this.branch = branch;
    }

    @Override
    public ChainClient.Attempt append(String client, int sequence, String parent) {
        String content = client + " append " + sequence + "\n";
        String message = "append " + sequence + " by " + client + "\n";
        CommitFilesRequest request = Requests.commit(ProxyClients.repository(path), branch, message,
                parent == null ? Requests.create(FILE, content) : Requests.update(FILE, content))
                .setExpectedParentId(parent == null ? RegisterClient.ZERO : parent).build();
        String predicted = predict(request, parent, content);
        try {
            CommitFilesResponse response = OperationServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(DEADLINE_MILLIS, TimeUnit.MILLISECONDS).commitFiles(request);
            if (!response.getCommitId().equals(predicted)) {
                mispredicted.add(client + " append " + sequence + ": acknowledged " + response.getCommitId()
                        + ", expected " + predicted);
            }
            return new ChainClient.Attempt(predicted, Operation.Outcome.OK, Status.Code.OK, "");
        } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            return new ChainClient.Attempt(predicted, RegisterClient.writeOutcome(code, true), code,
                    String.valueOf(e.getStatus().getDescription()));
        }
    }

    /** Acknowledged commits whose id was not the predicted one (should be none). */
    Queue<String> mispredicted() {
        return mispredicted;
    }

    /** The id of the commit a replica writes for {@code request}: a one-file tree on {@code parent}. */
    static String predict(CommitFilesRequest request, String parent, String content) {
        ObjectInserter.Formatter ids = new ObjectInserter.Formatter();
        TreeFormatter tree = new TreeFormatter();
        tree.append(FILE, FileMode.REGULAR_FILE, ids.idFor(Constants.OBJ_BLOB, content.getBytes(StandardCharsets.UTF_8)));
        CommitBuilder commit = new CommitBuilder();
        commit.setTreeId(tree.computeId(ids));
        if (parent != null) {
            commit.setParentId(ObjectId.fromString(parent));
        }
        commit.setAuthor(person(request.getAuthor()));
        commit.setCommitter(person(request.getCommitter()));
        commit.setMessage(request.getMessage());
        try {
            return ids.idFor(Constants.OBJ_COMMIT, commit.build()).name();
        } catch (java.io.UnsupportedEncodingException e) {
            throw new IllegalStateException("the commit's encoding is UTF-8", e);
        }
    }

    private static PersonIdent person(Signature signature) {
        return new PersonIdent(signature.getName(), signature.getEmail(), Instant.ofEpochSecond(signature.getTimeSeconds()),
                ZoneOffset.ofTotalSeconds(signature.getTimezoneOffsetMinutes() * 60));
    }
}
