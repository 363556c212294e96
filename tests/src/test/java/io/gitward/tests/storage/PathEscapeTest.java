package io.gitward.tests.storage;

import static io.gitward.tests.storage.StorageRpcTest.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.gitward.proto.CreateRepositoryRequest;
import io.gitward.proto.ListRefsRequest;
import io.gitward.proto.Repository;
import io.gitward.proto.RepositoryExistsRequest;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every way a (storage, relative path) could address something outside the storage root, or a second name for
 * one repository, is refused before the file system is touched; on-disk redirects planted by someone else are
 * refused when the repository is opened.
 */
class PathEscapeTest {
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

    @ParameterizedTest(name = "relative path \"{0}\" is refused")
    @ValueSource(strings = {"../outside.git", "a/../../outside.git", "/etc/passwd.git", "//x.git", "a/./b.git", "a//b.git",
        "./a.git", "..", ".git", "a/.git", ".hidden.git", "a/.b/c.git", "x.git/", "x", "x.git\u0000", "x\u0000/../y.git",
        "Upper.git", "caf\u00e9.git", "cafe\u0301.git", "\uff41.git", "a\\b.git", "%2e%2e/x.git", "a b.git", "x.git\n",
        "~/x.git", "a:b.git", ""})
    void pathEscapesAndAliasesAreRefused(String relativePath) {
        Repository repository = Requests.repository(StorageNodeFixture.STORAGE, relativePath);
        expect(Status.Code.INVALID_ARGUMENT, "relative_path", () -> node.repositories().createRepository(
                CreateRepositoryRequest.newBuilder().setRepository(repository).build()));
        expect(Status.Code.INVALID_ARGUMENT, "relative_path", () -> node.repositories().repositoryExists(
                RepositoryExistsRequest.newBuilder().setRepository(repository).build()));
        assertFalse(Files.exists(dir.resolve("outside.git")));
    }

    @Test
    void aLongPathIsRefused() {
        String path = "a/".repeat(300) + "x.git";
        expect(Status.Code.INVALID_ARGUMENT, "longer than", () -> node.repositories().createRepository(
                CreateRepositoryRequest.newBuilder().setRepository(Requests.repository(StorageNodeFixture.STORAGE, path))
                        .build()));
    }

    @Test
    void symlinksOutOfTheRootAreRefused() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("elsewhere"));
        Files.createDirectories(node.root());
        Files.createSymbolicLink(node.root().resolve("link"), outside);
        expect(Status.Code.INVALID_ARGUMENT, "symlink", () -> node.repositories().createRepository(
                CreateRepositoryRequest.newBuilder().setRepository(Requests.repository(StorageNodeFixture.STORAGE,
                        "link/x.git")).build()));
        try (Stream<Path> files = Files.list(outside)) {
            assertEquals(List.of(), files.toList(), "nothing was created through the link");
        }

        node.create("real/target.git");
        Files.createSymbolicLink(node.root().resolve("alias.git"), node.root().resolve("real/target.git"));
        expect(Status.Code.INVALID_ARGUMENT, "symlink", () -> node.refs().listRefs(ListRefsRequest.newBuilder()
                .setRepository(Requests.repository(StorageNodeFixture.STORAGE, "alias.git")).build()).hasNext());
    }

    @ParameterizedTest(name = "a repository containing {0} is not opened")
    @ValueSource(strings = {"commondir", "gitdir", "objects/info/alternates", "objects/info/http-alternates"})
    void plantedRedirectsAreRefused(String redirect) throws Exception {
        String path = "planted/" + redirect.replace('/', '-') + ".git";
        node.create(path);
        Files.writeString(node.gitDir(path).resolve(redirect), dir.resolve("elsewhere") + "\n");
        expect(Status.Code.FAILED_PRECONDITION, redirect, () -> node.refs().listRefs(ListRefsRequest.newBuilder()
                .setRepository(Requests.repository(StorageNodeFixture.STORAGE, path)).build()).hasNext());
    }

    @Test
    void aGitdirFileInPlaceOfARepositoryIsNotFollowed() throws Exception {
        Files.createDirectories(node.root().resolve("files"));
        Files.writeString(node.root().resolve("files/redirect.git"), "gitdir: " + dir.resolve("elsewhere") + "\n");
        expect(Status.Code.NOT_FOUND, "does not exist", () -> node.refs().listRefs(ListRefsRequest.newBuilder()
                .setRepository(Requests.repository(StorageNodeFixture.STORAGE, "files/redirect.git")).build()).hasNext());
        expect(Status.Code.ALREADY_EXISTS, "already exists", () -> node.repositories().createRepository(
                CreateRepositoryRequest.newBuilder().setRepository(Requests.repository(StorageNodeFixture.STORAGE,
                        "files/redirect.git")).build()));
    }
}
