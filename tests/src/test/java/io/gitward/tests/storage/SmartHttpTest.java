package io.gitward.tests.storage;

import static io.gitward.tests.storage.GitCli.fsck;
import static io.gitward.tests.storage.GitCli.git;
import static io.gitward.tests.storage.GitCli.refs;
import static io.gitward.tests.storage.Requests.commit;
import static io.gitward.tests.storage.Requests.create;
import static io.gitward.tests.storage.StorageRpcTest.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.gitward.proto.InfoRefsRequest;
import io.gitward.proto.PostReceivePackRequest;
import io.gitward.proto.Repository;
import io.gitward.proto.SmartHttpServiceGrpc;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.URIish;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The smart-HTTP pack RPCs, exercised by JGit's own HTTP transport client (and the git binary) through a
 * small HTTP-to-gRPC bridge: clone, fetch and push in protocol v0 and v2; pushes that carry crafted objects,
 * oversized packs or history rewrites are refused with the repository unchanged.
 */
class SmartHttpTest {
    private static final PersonIdent PUSHER = new PersonIdent("Pat Pusher", "pat@example.com",
            java.time.Instant.ofEpochSecond(Requests.TIME), java.time.ZoneOffset.UTC);

    @TempDir
    static Path dir;

    private static StorageNodeFixture node;
    private static SmartHttpBridge bridge;

    @BeforeAll
    static void start() throws Exception {
        node = StorageNodeFixture.start(dir, Map.of("storage.receive.max-object-size", "256k",
                "storage.receive.max-pack-size", "1m", "storage.receive.deny-non-fast-forwards", "true"));
        bridge = SmartHttpBridge.start(node.proxy(), StorageNodeFixture.STORAGE);
    }

    @AfterAll
    static void stop() {
        bridge.close();
        node.close();
    }

    @ParameterizedTest(name = "protocol v{0}: JGit fetches, pushes and fetches again over HTTP")
    @ValueSource(ints = {0, 2})
    void jgitClonesPushesAndFetches(int version) throws Exception {
        String path = "http/v" + version + ".git";
        Repository repository = node.create(path);
        Path gitDir = node.gitDir(path);
        String base = node.operations().commitFiles(commit(repository, "main", "base", create("README.md", "hi\n"))
                .build()).getCommitId();

        try (Git local = clientRepository(dir.resolve("client-v" + version), path, version)) {
            local.fetch().setRemote("origin").setRefSpecs(new RefSpec("+refs/heads/*:refs/remotes/origin/*")).call();
            assertEquals(base, local.getRepository().resolve("refs/remotes/origin/main").name());

            ObjectId pushed = commitLocally(local, base, "pushed.txt", "from the client\n".getBytes(StandardCharsets.UTF_8));
            PushResult result = push(local, pushed.name() + ":refs/heads/main");
            assertEquals(RemoteRefUpdate.Status.OK, result.getRemoteUpdate("refs/heads/main").getStatus(),
                    result.getMessages());
            assertEquals(pushed.name(), git(gitDir, "rev-parse", "refs/heads/main").trim());
            assertEquals("from the client\n", git(gitDir, "show", "main:pushed.txt"));
            fsck(gitDir);
            assertNoQuarantineLeft(gitDir);

            String serverSide = node.operations().commitFiles(commit(repository, "main", "server", create("s.txt", "s\n"))
                    .build()).getCommitId();
            local.fetch().setRemote("origin").setRefSpecs(new RefSpec("+refs/heads/*:refs/remotes/origin/*")).call();
            assertEquals(serverSide, local.getRepository().resolve("refs/remotes/origin/main").name());
        }
        String expected = version == 2 ? "version=2" : "v0";
        assertTrue(bridge.protocolsSeen().contains("GET " + expected), bridge.protocolsSeen().toString());
        assertTrue(bridge.protocolsSeen().contains("POST " + expected), bridge.protocolsSeen().toString());

        // The git binary clones the same repository through the same gateway.
        Path cloned = dir.resolve("git-clone-v" + version);
        Process clone = new ProcessBuilder("git", "-c", "protocol.version=" + version, "clone", "--bare", bridge.url(path),
                cloned.toString()).redirectErrorStream(true).start();
        String output = new String(clone.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(clone.waitFor(60, TimeUnit.SECONDS) && clone.exitValue() == 0, output);
        assertEquals(refs(gitDir), refs(cloned));
        fsck(cloned);
    }

    @ParameterizedTest(name = "a tree entry named {0} is refused and nothing changes")
    @ValueSource(strings = {".git", ".GIT", ".Git", "git~1", ".git\u200c", ".git."})
    void pushesWithGitDirectoryAliasesAreRefused(String name) throws Exception {
        String path = "evil/alias-" + Integer.toHexString(name.hashCode()) + ".git";
        Repository repository = node.create(path);
        String base = baseCommit(repository);
        try (Git local = clientRepository(dir.resolve("alias-" + Integer.toHexString(name.hashCode())), path, 0)) {
            local.fetch().setRemote("origin").setRefSpecs(new RefSpec("+refs/heads/*:refs/remotes/origin/*")).call();
            ObjectId evil;
            try (ObjectInserter inserter = local.getRepository().newObjectInserter()) {
                TreeFormatter hooks = new TreeFormatter();
                hooks.append("post-checkout", FileMode.EXECUTABLE_FILE, inserter.insert(Constants.OBJ_BLOB,
                        "#!/bin/sh\necho pwned\n".getBytes(StandardCharsets.UTF_8)));
                TreeFormatter gitDirectory = new TreeFormatter();
                gitDirectory.append("hooks", FileMode.TREE, inserter.insert(hooks));
                TreeFormatter root = new TreeFormatter();
                root.append(name, FileMode.TREE, inserter.insert(gitDirectory));
                evil = writeCommit(inserter, inserter.insert(root), ObjectId.fromString(base), "evil");
                inserter.flush();
            }
            assertRefused(path, local, evil, "refs/heads/main");
        }
    }

    @Test
    void pushWithMaliciousGitmodulesIsRefused() throws Exception {
        String path = "evil/gitmodules.git";
        Repository repository = node.create(path);
        String base = baseCommit(repository);
        try (Git local = clientRepository(dir.resolve("gitmodules"), path, 0)) {
            local.fetch().setRemote("origin").setRefSpecs(new RefSpec("+refs/heads/*:refs/remotes/origin/*")).call();
            ObjectId evil = commitLocally(local, base, ".gitmodules", ("[submodule \"x\"]\n\tpath = x\n"
                    + "\turl = --upload-pack=touch${IFS}/tmp/pwned\n").getBytes(StandardCharsets.UTF_8));
            assertRefused(path, local, evil, "refs/heads/main");
        }
    }

    @Test
    void oversizedObjectsAndPacksAreRefused() throws Exception {
        String path = "limits/project.git";
        Repository repository = node.create(path);
        String base = baseCommit(repository);
        Random random = new Random(7);
        try (Git local = clientRepository(dir.resolve("limits"), path, 2)) {
            local.fetch().setRemote("origin").setRefSpecs(new RefSpec("+refs/heads/*:refs/remotes/origin/*")).call();
            byte[] big = new byte[300 * 1024];
            random.nextBytes(big);
            ObjectId tooBig = commitLocally(local, base, "big.bin", big);
            assertRefused(path, local, tooBig, "refs/heads/main");

            ObjectId parent = ObjectId.fromString(base);
            for (int i = 0; i < 6; i++) {
                byte[] part = new byte[200 * 1024];
                random.nextBytes(part);
                parent = commitLocally(local, parent.name(), "part" + i + ".bin", part);
            }
            assertRefused(path, local, parent, "refs/heads/main");
        }
    }

    @Test
    void nonFastForwardPushesAreRefusedWhenConfigured() throws Exception {
        String path = "limits/history.git";
        Repository repository = node.create(path);
        String first = node.operations().commitFiles(commit(repository, "main", "one", create("a", "a")).build())
                .getCommitId();
        node.operations().commitFiles(commit(repository, "main", "two", create("b", "b")).build());
        try (Git local = clientRepository(dir.resolve("history"), path, 0)) {
            local.fetch().setRemote("origin").setRefSpecs(new RefSpec("+refs/heads/*:refs/remotes/origin/*")).call();
            ObjectId rewritten = commitLocally(local, first, "c", "c".getBytes(StandardCharsets.UTF_8));
            assertRefused(path, local, rewritten, "refs/heads/main");
        }
    }

    @Test
    void malformedPackDataIsRefusedWithTheRepositoryUnchanged() throws Exception {
        String path = "evil/garbage.git";
        Repository repository = node.create(path);
        String base = baseCommit(repository);
        String before = refs(node.gitDir(path));
        String command = base + " " + "1".repeat(40) + " refs/heads/main\0report-status\n";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(String.format("%04x%s0000", command.length() + 4, command).getBytes(StandardCharsets.ISO_8859_1));
        body.writeBytes("PACK\0\0\0\2\0\0\0\1garbage that is not zlib".getBytes(StandardCharsets.ISO_8859_1));
        String report = receivePack(repository, body.toByteArray());
        assertTrue(report.contains("unpack ") && !report.contains("unpack ok"), report);
        assertEquals(before, refs(node.gitDir(path)));
        fsck(node.gitDir(path));
        assertNoQuarantineLeft(node.gitDir(path));

        expect(Status.Code.NOT_FOUND, "does not exist", () -> SmartHttpServiceGrpc.newBlockingStub(node.proxy())
                .infoRefsUploadPack(InfoRefsRequest.newBuilder().setRepository(Requests.repository(
                        StorageNodeFixture.STORAGE, "missing/repo.git")).build()).hasNext());
        expect(Status.Code.INVALID_ARGUMENT, "git_protocol", () -> SmartHttpServiceGrpc.newBlockingStub(node.proxy())
                .infoRefsUploadPack(InfoRefsRequest.newBuilder().setRepository(repository).setGitProtocol("version=2\n")
                        .build()).hasNext());
        expect(Status.Code.INVALID_ARGUMENT, "relative_path", () -> SmartHttpServiceGrpc.newBlockingStub(node.proxy())
                .infoRefsReceivePack(InfoRefsRequest.newBuilder().setRepository(Requests.repository(
                        StorageNodeFixture.STORAGE, "../escape.git")).build()).hasNext());
    }

    @Test
    void aPushAbandonedMidUploadLeavesNothingBehind() throws Exception {
        String path = "evil/abandoned.git";
        Repository repository = node.create(path);
        String base = baseCommit(repository);
        Path gitDir = node.gitDir(path);
        String before = refs(gitDir);
        byte[] body = PushBodies.oneCommit(ObjectId.fromString(base), "half.txt");
        ReceivePackReport report = new ReceivePackReport();
        io.grpc.stub.ClientCallStreamObserver<PostReceivePackRequest> requests =
                (io.grpc.stub.ClientCallStreamObserver<PostReceivePackRequest>) SmartHttpServiceGrpc.newStub(node.proxy())
                        .postReceivePack(report);
        requests.onNext(PostReceivePackRequest.newBuilder().setRepository(repository)
                .setData(ByteString.copyFrom(body, 0, body.length / 2)).build());
        // The node is reading the pack (its quarantine exists) when the client goes away.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> quarantines(gitDir) > 0);
        requests.cancel("client went away", null);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> quarantines(gitDir) == 0);
        assertEquals(before, refs(gitDir));
        fsck(gitDir);
    }

    /** The first commit on main: one file "a". */
    private static String baseCommit(Repository repository) {
        return node.operations().commitFiles(commit(repository, "main", "base", create("a", "a")).build()).getCommitId();
    }

    private static long quarantines(Path gitDir) throws java.io.IOException {
        try (java.util.stream.Stream<Path> entries = java.nio.file.Files.list(gitDir.resolve("objects"))) {
            return entries.filter(entry -> entry.getFileName().toString().startsWith("incoming-")).count();
        }
    }

    private static String receivePack(Repository repository, byte[] body) throws Exception {
        try {
            return ReceivePackReport.push(SmartHttpServiceGrpc.newStub(node.proxy()), repository, body);
        } catch (io.grpc.StatusRuntimeException e) {
            return "status " + e.getStatus();
        }
    }

    /** Pushes {@code commit} to {@code ref}; the push must fail and the server repository stay as it was. */
    private static void assertRefused(String path, Git local, ObjectId commit, String ref) {
        Path gitDir = node.gitDir(path);
        String before = refs(gitDir);
        String outcome;
        try {
            PushResult result = push(local, commit.name() + ":" + ref);
            RemoteRefUpdate update = result.getRemoteUpdate(ref);
            outcome = update.getStatus() + " " + update.getMessage() + " " + result.getMessages();
            assertFalse(update.getStatus() == RemoteRefUpdate.Status.OK, outcome);
        } catch (Exception e) {
            outcome = "refused: " + e.getMessage();
        }
        assertEquals(before, refs(gitDir), "references changed after " + outcome);
        fsck(gitDir);
        assertNoQuarantineLeft(gitDir);
        assertTrue(GitCli.run(gitDir, "cat-file", "-e", commit.name()).exitCode() != 0,
                "the refused commit is not in the repository: " + outcome);
    }

    private static void assertNoQuarantineLeft(Path gitDir) {
        try (java.util.stream.Stream<Path> entries = java.nio.file.Files.list(gitDir.resolve("objects"))) {
            List<String> left = entries.map(path -> path.getFileName().toString()).filter(name -> name.startsWith("incoming-"))
                    .toList();
            assertEquals(List.of(), left, "quarantine directories left behind");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static PushResult push(Git local, String refSpec) throws Exception {
        Iterable<PushResult> results = local.push().setRemote("origin").setRefSpecs(new RefSpec(refSpec)).setAtomic(true)
                .call();
        return results.iterator().next();
    }

    private Git clientRepository(Path path, String repositoryPath, int version) throws Exception {
        Git local = Git.init().setDirectory(path.toFile()).setInitialBranch("main").call();
        StoredConfig config = local.getRepository().getConfig();
        config.setInt("protocol", null, "version", version);
        config.save();
        local.remoteAdd().setName("origin").setUri(new URIish(bridge.url(repositoryPath))).call();
        return local;
    }

    /** A commit on top of {@code parent} adding one file, written to the client repository only. */
    private static ObjectId commitLocally(Git local, String parent, String file, byte[] content) throws Exception {
        org.eclipse.jgit.lib.Repository repository = local.getRepository();
        try (ObjectInserter inserter = repository.newObjectInserter();
                org.eclipse.jgit.revwalk.RevWalk walk = new org.eclipse.jgit.revwalk.RevWalk(repository)) {
            org.eclipse.jgit.dircache.DirCache index = org.eclipse.jgit.dircache.DirCache.newInCore();
            org.eclipse.jgit.dircache.DirCacheBuilder builder = index.builder();
            builder.addTree(new byte[0], 0, repository.newObjectReader(), walk.parseCommit(ObjectId.fromString(parent))
                    .getTree());
            builder.finish();
            org.eclipse.jgit.dircache.DirCacheEditor editor = index.editor();
            ObjectId blob = inserter.insert(Constants.OBJ_BLOB, content);
            editor.add(new org.eclipse.jgit.dircache.DirCacheEditor.PathEdit(file) {
                @Override
                public void apply(org.eclipse.jgit.dircache.DirCacheEntry entry) {
                    entry.setFileMode(FileMode.REGULAR_FILE);
                    entry.setObjectId(blob);
                }
            });
            editor.finish();
            ObjectId id = writeCommit(inserter, index.writeTree(inserter), ObjectId.fromString(parent), "add " + file);
            inserter.flush();
            RefUpdate update = repository.updateRef("refs/heads/local");
            update.setNewObjectId(id);
            update.forceUpdate();
            return id;
        }
    }

    private static ObjectId writeCommit(ObjectInserter inserter, ObjectId tree, ObjectId parent, String message)
            throws Exception {
        CommitBuilder commit = new CommitBuilder();
        commit.setTreeId(tree);
        commit.setParentIds(List.of(parent));
        commit.setAuthor(PUSHER);
        commit.setCommitter(PUSHER);
        commit.setMessage(message);
        return inserter.insert(commit);
    }
}
