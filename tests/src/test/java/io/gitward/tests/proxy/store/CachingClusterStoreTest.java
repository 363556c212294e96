package io.gitward.tests.proxy.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gitward.proxy.store.CachingClusterStore;
import io.gitward.proxy.store.ClusterStore;
import io.gitward.proxy.store.JdbcClusterStore;
import io.gitward.proxy.store.RepositoryState;
import io.gitward.proxy.store.RepositoryWrite;
import io.gitward.proxy.store.StoreException;
import io.gitward.proxy.store.StoreSettings;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy's in-memory repository states over the embedded H2 database: served from memory only while no
 * change went through the store since they were read, so a read after a committed write never sees the state
 * before it — also when the write commits while that read is at the database.
 */
class CachingClusterStoreTest {
    private static final String PATH = "@hashed/ab/cd/abcd.git";
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path temp;

    private JdbcClusterStore database;
    /** Runs once, right after the next read returned from the database (before the cache keeps its result). */
    private final AtomicReference<Runnable> afterNextRead = new AtomicReference<>();
    private CachingClusterStore store;

    @BeforeEach
    void open() throws StoreException {
        StoreSettings settings = new StoreSettings(StoreSettings.embeddedUrl(temp), "", null, 4, WAIT);
        database = JdbcClusterStore.open(settings, "default");
        store = new CachingClusterStore(interleaving(database));
        store.createRepository(PATH, "storage-1", List.of("storage-1", "storage-2", "storage-3"));
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    @DisplayName("a state read once is served from memory, equal to the database's, until something changes")
    void servedFromMemory() throws StoreException {
        assertEquals(Optional.empty(), store.cachedRepository(PATH), "nothing read yet");

        RepositoryState read = store.repository(PATH).orElseThrow();

        assertEquals(Optional.of(read), store.cachedRepository(PATH));
        assertEquals(database.repository(PATH).orElseThrow(), store.cachedRepository(PATH).orElseThrow());
        assertEquals(Optional.empty(), store.cachedRepository("never/read.git"));
    }

    @Test
    @DisplayName("a write's open intent and its committed generations are seen by the next read")
    void writesAreSeen() throws StoreException {
        store.repository(PATH);

        try (RepositoryWrite write = store.beginWrite(PATH, "proxy-1", WAIT)) {
            assertEquals(Optional.empty(), store.cachedRepository(PATH), "the intent changed the state");
            assertTrue(store.repository(PATH).orElseThrow().writing(), "reads must see the open intent");
            write.setGeneration("storage-1", 1);
            write.setGeneration("storage-2", 1);
            write.commit();
        }

        RepositoryState after = store.repository(PATH).orElseThrow();
        assertFalse(after.writing());
        assertEquals(Map.of("storage-1", 1L, "storage-2", 1L, "storage-3", 0L), after.generations());
        assertEquals(Optional.of(after), store.cachedRepository(PATH));
    }

    @Test
    @DisplayName("a write rolled back, abandoned or deleted, a creation, and a failed begin each make memory stale")
    void everyChangeMakesMemoryStale() throws StoreException {
        store.repository(PATH);
        store.beginWrite(PATH, "proxy-1", WAIT).close();
        assertEquals(Optional.empty(), store.cachedRepository(PATH), "after a rollback");

        store.repository(PATH);
        store.beginWrite(PATH, "proxy-1", WAIT).abandon();
        assertEquals(Optional.empty(), store.cachedRepository(PATH), "after an abandoned write");

        store.repository(PATH);
        store.createRepository("other.git", "storage-2", List.of("storage-2"));
        assertEquals(Optional.empty(), store.cachedRepository(PATH), "after a creation");

        store.repository(PATH);
        assertThrows(StoreException.class, () -> store.beginWrite("unknown.git", "proxy-1", WAIT));
        assertEquals(Optional.empty(), store.cachedRepository(PATH), "after a failed begin");

        store.repository("other.git");
        store.beginWrite("other.git", "proxy-1", WAIT).delete();
        assertEquals(Optional.empty(), store.cachedRepository("other.git"), "after a deletion");
        assertEquals(Optional.empty(), store.repository("other.git"));
    }

    @Test
    @DisplayName("a write that commits while a read is at the database never leaves the older state in memory")
    void writeDuringReadIsNotHidden() throws StoreException {
        // The read returns the state from before the write; the write commits before the cache keeps that state.
        afterNextRead.set(() -> {
            try (RepositoryWrite write = store.beginWrite(PATH, "proxy-1", WAIT)) {
                write.setGeneration("storage-1", 7);
                write.commit();
            } catch (StoreException e) {
                throw new IllegalStateException(e);
            }
        });

        RepositoryState racing = store.repository(PATH).orElseThrow();

        assertEquals(0L, racing.generations().get("storage-1"), "the racing read saw the state before the write");
        assertEquals(Optional.empty(), store.cachedRepository(PATH), "the older state must not be served");
        assertEquals(7L, store.repository(PATH).orElseThrow().generations().get("storage-1"));
    }

    @Test
    @DisplayName("only an H2 file database without AUTO_SERVER is exclusive to this process")
    void exclusiveDatabases() {
        assertTrue(settings(StoreSettings.embeddedUrl(temp)).exclusiveToThisProcess());
        assertFalse(settings(StoreSettings.embeddedUrl(temp) + ";AUTO_SERVER=TRUE").exclusiveToThisProcess());
        assertFalse(settings("jdbc:h2:tcp://127.0.0.1:9092/cluster").exclusiveToThisProcess());
        assertFalse(settings("jdbc:h2:mem:cluster").exclusiveToThisProcess());
        assertFalse(settings("jdbc:postgresql://127.0.0.1:5432/gitward").exclusiveToThisProcess());
    }

    private static StoreSettings settings(String url) {
        return new StoreSettings(url, "", null, 4, WAIT);
    }

    /** The real store, with a hook between a read's return from the database and its caller. */
    private ClusterStore interleaving(ClusterStore real) {
        return (ClusterStore) Proxy.newProxyInstance(ClusterStore.class.getClassLoader(),
                new Class<?>[] {ClusterStore.class}, (proxy, method, arguments) -> {
                    Object result;
                    try {
                        result = method.invoke(real, arguments);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("repository")) {
                        Runnable hook = afterNextRead.getAndSet(null);
                        if (hook != null) {
                            hook.run();
                        }
                    }
                    return result;
                });
    }
}
