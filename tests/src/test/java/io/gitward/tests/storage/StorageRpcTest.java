package io.gitward.tests.storage;

import static io.gitward.tests.storage.GitCli.fsck;
import static io.gitward.tests.storage.GitCli.git;
import static io.gitward.tests.storage.GitCli.refs;
import static io.gitward.tests.storage.Requests.commit;
import static io.gitward.tests.storage.Requests.create;
import static io.gitward.tests.storage.Requests.delete;
import static io.gitward.tests.storage.Requests.move;
import static io.gitward.tests.storage.Requests.refUpdate;
import static io.gitward.tests.storage.Requests.update;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.gitward.proto.ChecksumRequest;
import io.gitward.proto.CommitFilesResponse;
import io.gitward.proto.CreateRepositoryRequest;
import io.gitward.proto.FileAction;
import io.gitward.proto.FindRefRequest;
import io.gitward.proto.FindRefResponse;
import io.gitward.proto.ListRefsRequest;
import io.gitward.proto.ListRefsResponse;
import io.gitward.proto.ReadBlobRequest;
import io.gitward.proto.ReadBlobResponse;
import io.gitward.proto.Reference;
import io.gitward.proto.RemoveRepositoryRequest;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryExistsRequest;
import io.gitward.proto.RepositoryInfoRequest;
import io.gitward.proto.RepositoryInfoResponse;
import io.gitward.proto.UpdateReferencesRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every storage RPC on real repositories, driven over mTLS as the proxy, with the real {@code git} binary
 * checking the result on the storage directory; every refusal leaves {@code git fsck --strict} clean and
 * {@code git for-each-ref} unchanged.
 */
class StorageRpcTest {
    private static final String ZERO = ObjectId.zeroId().name();

    @TempDir
    static Path dir;

    private static StorageNodeFixture node;

    @BeforeAll
    static void start() throws Exception {
        node = StorageNodeFixture.start(dir, Map.of());
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void repositoriesAreCreatedInspectedAndRemoved() {
        Repository repository = node.create("lifecycle/project.git");
        Path gitDir = node.gitDir("lifecycle/project.git");
        assertEquals("refs/heads/main", git(gitDir, "symbolic-ref", "HEAD").trim());
        assertEquals("true", git(gitDir, "rev-parse", "--is-bare-repository").trim());
        fsck(gitDir);
        assertTrue(node.repositories().repositoryExists(RepositoryExistsRequest.newBuilder().setRepository(repository)
                .build()).getExists());

        Repository trunk = Requests.repository(StorageNodeFixture.STORAGE, "lifecycle/trunk.git");
        node.repositories().createRepository(CreateRepositoryRequest.newBuilder().setRepository(trunk)
                .setDefaultBranch("trunk").build());
        assertEquals("refs/heads/trunk", git(node.gitDir("lifecycle/trunk.git"), "symbolic-ref", "HEAD").trim());

        node.operations().commitFiles(commit(repository, "main", "first", create("a.txt", "alpha\n")).build());
        RepositoryInfoResponse info = node.repositories().repositoryInfo(RepositoryInfoRequest.newBuilder()
                .setRepository(repository).build());
        assertEquals("main", info.getDefaultBranch());
        assertEquals(3, info.getObjectCount(), "blob, tree and commit");
        assertEquals(1, info.getReferenceCount());
        assertTrue(info.getSizeBytes() > 0);
        assertEquals(git(gitDir, "count-objects", "-v").lines().filter(line -> line.startsWith("count: ")).findFirst()
                .orElseThrow(), "count: 3");

        expect(Status.Code.ALREADY_EXISTS, "already exists", () -> node.repositories().createRepository(
                CreateRepositoryRequest.newBuilder().setRepository(repository).build()));
        expect(Status.Code.INVALID_ARGUMENT, "default_branch", () -> node.repositories().createRepository(
                CreateRepositoryRequest.newBuilder().setRepository(Requests.repository(StorageNodeFixture.STORAGE,
                        "lifecycle/bad.git")).setDefaultBranch("a..b").build()));
        assertFalse(Files.exists(node.gitDir("lifecycle/bad.git")));

        node.repositories().removeRepository(RemoveRepositoryRequest.newBuilder().setRepository(repository).build());
        assertFalse(Files.exists(gitDir));
        assertFalse(node.repositories().repositoryExists(RepositoryExistsRequest.newBuilder().setRepository(repository)
                .build()).getExists());
        expect(Status.Code.NOT_FOUND, "does not exist", () -> node.repositories().removeRepository(
                RemoveRepositoryRequest.newBuilder().setRepository(repository).build()));
        expect(Status.Code.NOT_FOUND, "does not exist", () -> node.repositories().repositoryInfo(
                RepositoryInfoRequest.newBuilder().setRepository(repository).build()));
        expect(Status.Code.INVALID_ARGUMENT, "storage_name", () -> node.repositories().repositoryExists(
                RepositoryExistsRequest.newBuilder().setRepository(Requests.repository("storage-9", "a.git")).build()));
        expect(Status.Code.INVALID_ARGUMENT, "repository: missing", () -> node.repositories().repositoryExists(
                RepositoryExistsRequest.getDefaultInstance()));
    }

    @Test
    void commitFilesWritesTheCommitGitSeesAndIsDeterministic() {
        Repository repository = node.create("commits/project.git");
        Path gitDir = node.gitDir("commits/project.git");
        CommitFilesResponse first = node.operations().commitFiles(commit(repository, "main", "Add files\n",
                create("README.md", "# Project\n"), executable("bin/run.sh", "#!/bin/sh\necho hi\n")).build());
        assertEquals("", first.getParentId());
        assertEquals(first.getCommitId(), git(gitDir, "rev-parse", "refs/heads/main").trim());
        String raw = git(gitDir, "cat-file", "-p", first.getCommitId());
        assertTrue(raw.contains("author Ada Author <ada.author@example.com> " + Requests.TIME + " +0100"), raw);
        assertTrue(raw.contains("committer Cy Committer <cy.committer@example.com> " + Requests.TIME + " -0530"), raw);
        assertTrue(raw.endsWith("Add files\n"), raw);
        assertEquals("# Project\n", git(gitDir, "show", "main:README.md"));
        assertTrue(git(gitDir, "ls-tree", "-r", "main").contains("100755 blob"), "executable bit kept");

        CommitFilesResponse second = node.operations().commitFiles(commit(repository, "main", "Rework",
                update("README.md", "# Project v2\n"), move("bin/run.sh", "scripts/run.sh"), create("docs/a.txt", "a\n"))
                .setExpectedParentId(first.getCommitId()).build());
        assertEquals(first.getCommitId(), second.getParentId());
        assertEquals(first.getCommitId(), git(gitDir, "rev-parse", "main^").trim());
        assertEquals(List.of("README.md", "docs/a.txt", "scripts/run.sh"),
                git(gitDir, "ls-tree", "-r", "--name-only", "main").lines().toList());
        assertTrue(git(gitDir, "ls-tree", "main", "scripts/run.sh").startsWith("100755"), "move keeps the mode");

        CommitFilesResponse third = node.operations().commitFiles(commit(repository, "main", "Remove docs",
                delete("docs/a.txt")).build());
        assertEquals(List.of("README.md", "scripts/run.sh"), git(gitDir, "ls-tree", "-r", "--name-only", "main").lines()
                .toList());
        CommitFilesResponse branch = node.operations().commitFiles(commit(repository, "feature", "Branch off",
                create("feature.txt", "f\n")).setStartBranch("main").build());
        assertEquals(third.getCommitId(), branch.getParentId());
        fsck(gitDir);

        // The same requests on another repository give byte-identical commits: what replicas rely on.
        Repository twin = node.create("commits/twin.git");
        assertEquals(first.getCommitId(), node.operations().commitFiles(commit(twin, "main", "Add files\n",
                create("README.md", "# Project\n"), executable("bin/run.sh", "#!/bin/sh\necho hi\n")).build()).getCommitId());
        assertEquals(second.getCommitId(), node.operations().commitFiles(commit(twin, "main", "Rework",
                update("README.md", "# Project v2\n"), move("bin/run.sh", "scripts/run.sh"), create("docs/a.txt", "a\n"))
                .build()).getCommitId());
    }

    @Test
    void commitFilesRefusalsChangeNothing() {
        Repository repository = node.create("refusals/project.git");
        Path gitDir = node.gitDir("refusals/project.git");
        String head = node.operations().commitFiles(commit(repository, "main", "base", create("a.txt", "a\n"),
                create("dir/b.txt", "b\n")).build()).getCommitId();
        String before = refs(gitDir);

        expect(Status.Code.FAILED_PRECONDITION, "expected", () -> node.operations().commitFiles(commit(repository, "main",
                "stale", update("a.txt", "x\n")).setExpectedParentId(ZERO.replace('0', '1')).build()));
        expect(Status.Code.FAILED_PRECONDITION, "already exists", () -> node.operations().commitFiles(commit(repository,
                "main", "dup", create("a.txt", "x\n")).build()));
        expect(Status.Code.FAILED_PRECONDITION, "already exists", () -> node.operations().commitFiles(commit(repository,
                "main", "dir over file", create("dir", "x\n")).build()));
        expect(Status.Code.FAILED_PRECONDITION, "does not exist", () -> node.operations().commitFiles(commit(repository,
                "main", "gone", delete("missing.txt")).build()));
        expect(Status.Code.FAILED_PRECONDITION, "does not exist", () -> node.operations().commitFiles(commit(repository,
                "main", "gone", update("missing.txt", "x")).build()));
        for (String path : List.of(".git/config", "a/.GIT/hooks/x", "../escape", "/abs", "a//b", "a/./b", "a\\b", "trail/")) {
            expect(Status.Code.INVALID_ARGUMENT, "actions[0].path", () -> node.operations().commitFiles(commit(repository,
                    "main", "evil", create(path, "x")).build()));
        }
        expect(Status.Code.INVALID_ARGUMENT, "branch", () -> node.operations().commitFiles(commit(repository, "a..b",
                "bad branch", create("n.txt", "x")).build()));
        expect(Status.Code.INVALID_ARGUMENT, "message", () -> node.operations().commitFiles(commit(repository, "main",
                " ", create("n.txt", "x")).build()));
        expect(Status.Code.INVALID_ARGUMENT, "author", () -> node.operations().commitFiles(commit(repository, "main", "m",
                create("n.txt", "x")).clearAuthor().build()));
        expect(Status.Code.INVALID_ARGUMENT, "timezone_offset_minutes", () -> node.operations().commitFiles(
                commit(repository, "main", "m", create("n.txt", "x")).setAuthor(Requests.person("Ada Author", 2000)).build()));
        expect(Status.Code.INVALID_ARGUMENT, "changed twice", () -> node.operations().commitFiles(commit(repository,
                "main", "twice", create("n.txt", "x"), create("n.txt", "y")).build()));
        expect(Status.Code.INVALID_ARGUMENT, "type", () -> node.operations().commitFiles(commit(repository, "main", "m",
                FileAction.newBuilder().setPath("n.txt").build()).build()));
        expect(Status.Code.FAILED_PRECONDITION, "start_branch", () -> node.operations().commitFiles(commit(repository,
                "new", "m", create("n.txt", "x")).setStartBranch("nope").build()));
        // 5 MiB of content exceeds the 4 MiB message limit before any code runs.
        expect(Status.Code.RESOURCE_EXHAUSTED, "", () -> node.operations().commitFiles(commit(repository, "main", "huge",
                FileAction.newBuilder().setType(FileAction.Type.CREATE).setPath("huge.bin")
                        .setContent(ByteString.copyFrom(new byte[5 * 1024 * 1024])).build()).build()));

        assertEquals(before, refs(gitDir));
        assertEquals(head, git(gitDir, "rev-parse", "main").trim());
        fsck(gitDir);
    }

    @Test
    void updateReferencesIsAllOrNothing() {
        Repository repository = node.create("refs/atomic.git");
        Path gitDir = node.gitDir("refs/atomic.git");
        String c1 = node.operations().commitFiles(commit(repository, "main", "one", create("1", "1")).build()).getCommitId();
        String c2 = node.operations().commitFiles(commit(repository, "main", "two", create("2", "2")).build()).getCommitId();
        String before = refs(gitDir);

        expect(Status.Code.FAILED_PRECONDITION, "refs/heads/main is at " + c2, () -> node.refs().updateReferences(
                UpdateReferencesRequest.newBuilder().setRepository(repository)
                        .addUpdates(refUpdate("refs/heads/new", ZERO, c1))
                        .addUpdates(refUpdate("refs/tags/v1", "", c2))
                        .addUpdates(refUpdate("refs/heads/main", c1, c1)).build()));
        assertEquals(before, refs(gitDir), "no reference of the failed batch was applied");

        for (String name : List.of("refs/heads/a..b", "refs/heads/x.lock", "HEAD", "refs/heads/bad name", "refs/heads/c\u0001",
                "heads/main", "refs/heads/", "refs/heads/@{x}")) {
            expect(Status.Code.INVALID_ARGUMENT, "valid name", () -> node.refs().updateReferences(UpdateReferencesRequest
                    .newBuilder().setRepository(repository).addUpdates(refUpdate(name, "", c1)).build()));
        }
        expect(Status.Code.INVALID_ARGUMENT, "does not exist here", () -> node.refs().updateReferences(
                UpdateReferencesRequest.newBuilder().setRepository(repository)
                        .addUpdates(refUpdate("refs/heads/ghost", "", "1234567890123456789012345678901234567890")).build()));
        expect(Status.Code.INVALID_ARGUMENT, "new_target", () -> node.refs().updateReferences(UpdateReferencesRequest
                .newBuilder().setRepository(repository).addUpdates(refUpdate("refs/heads/x", "", "HEAD~1")).build()));
        expect(Status.Code.INVALID_ARGUMENT, "twice", () -> node.refs().updateReferences(UpdateReferencesRequest
                .newBuilder().setRepository(repository).addUpdates(refUpdate("refs/heads/x", "", c1))
                .addUpdates(refUpdate("refs/heads/x", "", c2)).build()));
        expect(Status.Code.FAILED_PRECONDITION, "cannot be deleted", () -> node.refs().updateReferences(
                UpdateReferencesRequest.newBuilder().setRepository(repository).addUpdates(refUpdate("refs/heads/none", "",
                        ZERO)).build()));
        expect(Status.Code.INVALID_ARGUMENT, "empty", () -> node.refs().updateReferences(UpdateReferencesRequest
                .newBuilder().setRepository(repository).build()));
        assertEquals(before, refs(gitDir));

        node.refs().updateReferences(UpdateReferencesRequest.newBuilder().setRepository(repository)
                .addUpdates(refUpdate("refs/heads/new", ZERO, c1))
                .addUpdates(refUpdate("refs/tags/v1", "", c2))
                .addUpdates(refUpdate("refs/heads/main", c2, c1)).build());
        assertEquals("refs/heads/main " + c1 + "\nrefs/heads/new " + c1 + "\nrefs/tags/v1 " + c2 + "\n", refs(gitDir));
        node.refs().updateReferences(UpdateReferencesRequest.newBuilder().setRepository(repository)
                .addUpdates(refUpdate("refs/heads/new", c1, ZERO)).build());
        assertFalse(refs(gitDir).contains("refs/heads/new"));
        fsck(gitDir);
    }

    @Test
    void listRefsStreamsOneHundredThousandReferences() throws Exception {
        Repository repository = node.create("refs/many.git");
        Path gitDir = node.gitDir("refs/many.git");
        String target = node.operations().commitFiles(commit(repository, "main", "one", create("1", "1")).build())
                .getCommitId();
        int total = 100_000;
        // Seeded in git's own packed-refs format: creating 100k refs through one atomic JGit batch takes a lock
        // file per reference (tens of seconds here); the RPC path is covered by a 5,000-reference batch below.
        StringBuilder packed = new StringBuilder("# pack-refs with: peeled fully-peeled sorted \n");
        for (int i = 0; i < total - 5_000; i++) {
            packed.append(target).append(' ').append(String.format("refs/heads/b/%06d", i)).append('\n');
        }
        Files.writeString(gitDir.resolve("packed-refs"), packed);
        UpdateReferencesRequest.Builder batch = UpdateReferencesRequest.newBuilder().setRepository(repository);
        for (int i = total - 5_000; i < total; i++) {
            batch.addUpdates(refUpdate(String.format("refs/heads/b/%06d", i), ZERO, target));
        }
        node.refs().updateReferences(batch.build());
        List<Reference> listed = new ArrayList<>();
        int messages = 0;
        Iterator<ListRefsResponse> stream = node.refs().listRefs(ListRefsRequest.newBuilder().setRepository(repository)
                .build());
        while (stream.hasNext()) {
            listed.addAll(stream.next().getReferencesList());
            messages++;
        }
        assertEquals(total + 1, listed.size());
        assertTrue(messages > 50, "streamed in many messages, was " + messages);
        assertEquals("refs/heads/b/000000", listed.get(0).getName());
        assertEquals("refs/heads/main", listed.get(total).getName());
        assertEquals(String.valueOf(total + 1), git(gitDir, "for-each-ref", "--count=200000", "--format=x").lines().count()
                + "");

        List<Reference> filtered = new ArrayList<>();
        node.refs().listRefs(ListRefsRequest.newBuilder().setRepository(repository).addPrefixes("refs/heads/b/0999")
                .build()).forEachRemaining(response -> filtered.addAll(response.getReferencesList()));
        assertEquals(100, filtered.size());

        FindRefResponse found = node.refs().findRef(FindRefRequest.newBuilder().setRepository(repository)
                .setName("refs/heads/b/042424").build());
        assertTrue(found.getFound());
        assertEquals(target, found.getReference().getTarget());
        assertFalse(node.refs().findRef(FindRefRequest.newBuilder().setRepository(repository)
                .setName("refs/heads/b/999999").build()).getFound());
        expect(Status.Code.INVALID_ARGUMENT, "not a valid reference name", () -> node.refs().findRef(FindRefRequest
                .newBuilder().setRepository(repository).setName("refs/heads/../x").build()));
        fsck(gitDir);
    }

    @Test
    void readBlobStreamsContentWithLimits() {
        Repository repository = node.create("blobs/project.git");
        byte[] big = new byte[300 * 1024 + 7];
        new Random(5).nextBytes(big);
        String id = node.operations().commitFiles(commit(repository, "main", "blobs", create("small.txt", "hello\n"),
                FileAction.newBuilder().setType(FileAction.Type.CREATE).setPath("data/big.bin").setContent(ByteString
                        .copyFrom(big)).build()).build()).getCommitId();

        List<ReadBlobResponse> small = read(repository, "main", "small.txt", 0);
        assertEquals(1, small.size());
        assertEquals("hello\n", small.get(0).getData().toStringUtf8());
        assertEquals(git(node.gitDir("blobs/project.git"), "rev-parse", "main:small.txt").trim(), small.get(0).getId());
        assertEquals("100644", small.get(0).getMode());

        List<ReadBlobResponse> chunks = read(repository, id, "data/big.bin", 0);
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        chunks.forEach(chunk -> joined.writeBytes(chunk.getData().toByteArray()));
        assertTrue(chunks.size() > 1, "a 300 KiB blob arrives in several messages");
        assertEquals(big.length, chunks.get(0).getSize());
        assertTrue(java.util.Arrays.equals(big, joined.toByteArray()));

        List<ReadBlobResponse> limited = read(repository, "main", "data/big.bin", 10);
        assertEquals(10, limited.stream().mapToInt(chunk -> chunk.getData().size()).sum());
        assertEquals(big.length, limited.get(0).getSize());

        expect(Status.Code.NOT_FOUND, "does not exist", () -> read(repository, "main", "nope.txt", 0));
        expect(Status.Code.NOT_FOUND, "does not exist", () -> read(repository, "no-such-branch", "small.txt", 0));
        List<ReadBlobResponse> directory = read(repository, "main", "data", 0);
        assertEquals(1, directory.size());
        assertEquals("tree", directory.get(0).getType());
        assertEquals("40000", directory.get(0).getMode());
        assertEquals(git(node.gitDir("blobs/project.git"), "rev-parse", "main:data").trim(), directory.get(0).getId());
        assertEquals(Long.parseLong(git(node.gitDir("blobs/project.git"), "cat-file", "-s", "main:data").trim()),
                directory.get(0).getSize());
        assertTrue(directory.get(0).getData().isEmpty());
        assertEquals("blob", small.get(0).getType());
        expect(Status.Code.INVALID_ARGUMENT, "revision", () -> read(repository, "--upload-pack=x", "small.txt", 0));
        for (String revision : List.of("main:small.txt", "main^{/hello}", "main@{1}", "HEAD..main", "main small")) {
            expect(Status.Code.INVALID_ARGUMENT, "revision", () -> read(repository, revision, "small.txt", 0));
        }
        assertEquals("hello\n", read(repository, id + "~0", "small.txt", 0).get(0).getData().toStringUtf8());
    }

    @Test
    void checksumIsOrderIndependentAndTracksEveryReference() {
        Repository a = node.create("checksum/a.git");
        Repository b = node.create("checksum/b.git");
        assertEquals("0".repeat(64), checksum(a));
        String ca = node.operations().commitFiles(commit(a, "main", "x", create("x", "x")).build()).getCommitId();
        String cb = node.operations().commitFiles(commit(b, "main", "x", create("x", "x")).build()).getCommitId();
        assertEquals(ca, cb);
        node.refs().updateReferences(UpdateReferencesRequest.newBuilder().setRepository(a)
                .addUpdates(refUpdate("refs/tags/t1", "", ca)).addUpdates(refUpdate("refs/heads/z", "", ca)).build());
        node.refs().updateReferences(UpdateReferencesRequest.newBuilder().setRepository(b)
                .addUpdates(refUpdate("refs/heads/z", "", cb)).build());
        node.refs().updateReferences(UpdateReferencesRequest.newBuilder().setRepository(b)
                .addUpdates(refUpdate("refs/tags/t1", "", cb)).build());
        assertEquals(checksum(a), checksum(b));
        node.refs().updateReferences(UpdateReferencesRequest.newBuilder().setRepository(b)
                .addUpdates(refUpdate("refs/tags/t1", cb, ZERO)).build());
        assertFalse(checksum(a).equals(checksum(b)));
        assertEquals(2, node.maintenance().checksum(ChecksumRequest.newBuilder().setRepository(b).build()).getReferenceCount());
    }

    @Test
    void createRepositoryFromBundleImportsEveryReference() throws Exception {
        Repository source = node.create("bundle/source.git");
        Path sourceDir = node.gitDir("bundle/source.git");
        String first = node.operations().commitFiles(commit(source, "main", "one", create("a.txt", "a\n")).build())
                .getCommitId();
        node.operations().commitFiles(commit(source, "topic", "two", create("b.txt", "b\n")).setStartBranch("main").build());
        node.refs().updateReferences(UpdateReferencesRequest.newBuilder().setRepository(source)
                .addUpdates(refUpdate("refs/tags/v1", "", first)).build());
        Path bundle = dir.resolve("source.bundle");
        git(sourceDir, "bundle", "create", bundle.toString(), "--all");

        Repository imported = Requests.repository(StorageNodeFixture.STORAGE, "bundle/imported.git");
        assertEquals(3, importBundle(imported, Files.readAllBytes(bundle)).getReferenceCount());
        Path importedDir = node.gitDir("bundle/imported.git");
        assertEquals(refs(sourceDir), refs(importedDir));
        assertEquals("refs/heads/main", git(importedDir, "symbolic-ref", "HEAD").trim());
        fsck(importedDir);

        expect(Status.Code.ALREADY_EXISTS, "already exists", () -> importBundle(imported, Files.readAllBytes(bundle)));
        Repository garbage = Requests.repository(StorageNodeFixture.STORAGE, "bundle/garbage.git");
        expect(Status.Code.INVALID_ARGUMENT, "bundle", () -> importBundle(garbage,
                "# v2 git bundle\nnot really\n".getBytes(StandardCharsets.UTF_8)));
        assertFalse(Files.exists(node.gitDir("bundle/garbage.git")), "a refused import leaves no repository");
    }

    private static io.gitward.proto.CreateRepositoryFromBundleResponse importBundle(Repository repository, byte[] bundle)
            throws Exception {
        java.util.concurrent.CompletableFuture<io.gitward.proto.CreateRepositoryFromBundleResponse> result =
                new java.util.concurrent.CompletableFuture<>();
        io.grpc.stub.StreamObserver<io.gitward.proto.CreateRepositoryFromBundleRequest> requests =
                io.gitward.proto.RepositoryServiceGrpc.newStub(node.proxy()).withDeadlineAfter(60,
                        java.util.concurrent.TimeUnit.SECONDS).createRepositoryFromBundle(new io.grpc.stub.StreamObserver<>() {
                            @Override
                            public void onNext(io.gitward.proto.CreateRepositoryFromBundleResponse response) {
                                result.complete(response);
                            }

                            @Override
                            public void onError(Throwable error) {
                                result.completeExceptionally(error);
                            }

                            @Override
                            public void onCompleted() {
                            }
                        });
        // Small chunks: the bundle arrives in many messages, the first naming the repository.
        for (int offset = 0; offset < bundle.length; offset += 1000) {
            io.gitward.proto.CreateRepositoryFromBundleRequest.Builder chunk = io.gitward.proto
                    .CreateRepositoryFromBundleRequest.newBuilder().setData(ByteString.copyFrom(bundle, offset,
                            Math.min(1000, bundle.length - offset)));
            if (offset == 0) {
                chunk.setRepository(repository);
            }
            requests.onNext(chunk.build());
        }
        requests.onCompleted();
        try {
            return result.get(60, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    private static FileAction executable(String path, String content) {
        return create(path, content).toBuilder().setExecutable(true).build();
    }

    private static String checksum(Repository repository) {
        return node.maintenance().checksum(ChecksumRequest.newBuilder().setRepository(repository).build()).getChecksum();
    }

    private static List<ReadBlobResponse> read(Repository repository, String revision, String path, long limit) {
        List<ReadBlobResponse> chunks = new ArrayList<>();
        node.blobs().readBlob(ReadBlobRequest.newBuilder().setRepository(repository).setRevision(revision).setPath(path)
                .setLimit(limit).build()).forEachRemaining(chunks::add);
        return chunks;
    }

    static void expect(Status.Code code, String messagePart, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        String description = e.getStatus().getDescription() == null ? "" : e.getStatus().getDescription();
        assertTrue(description.contains(messagePart), "'" + description + "' should mention '" + messagePart + "'");
    }

    static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
