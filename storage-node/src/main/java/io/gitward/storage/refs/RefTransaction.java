package io.gitward.storage.refs;

import io.gitward.storage.StorageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.jgit.lib.BatchRefUpdate;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.ReceiveCommand;

/**
 * Applies a batch of reference updates all-or-nothing, with a vote in between: check every old value, hash
 * the exact update (name, current value, new value — so a replica whose references diverged votes
 * differently), vote PREPARED, apply atomically on COMMIT, vote COMMITTED. JGit has no two-phase ref
 * update, so the caller holds the repository's lock across the whole sequence.
 */
public final class RefTransaction {
    private RefTransaction() {
    }

    /** Work done between the COMMIT outcome and the reference update, such as publishing quarantined objects. */
    @FunctionalInterface
    public interface BeforeUpdate {
        BeforeUpdate NOTHING = () -> {
        };

        void run() throws StorageException;
    }

    public static void apply(Repository repository, List<RefChange> changes, UpdateVoter voter) throws StorageException {
        apply(repository, changes, voter, BeforeUpdate.NOTHING);
    }

    public static void apply(Repository repository, List<RefChange> changes, UpdateVoter voter, BeforeUpdate beforeUpdate)
            throws StorageException {
        List<ReceiveCommand> commands = prepare(repository, changes);
        byte[] hash = hash(commands);
        voter.prepared(hash);
        beforeUpdate.run();
        execute(repository, commands);
        voter.committed(hash);
    }

    /** Checks names, old values and new objects; returns the commands with the actual current values. */
    public static List<ReceiveCommand> prepare(Repository repository, List<RefChange> changes) throws StorageException {
        if (changes.isEmpty()) {
            throw StorageException.invalid("updates: empty (expected at least one reference update)");
        }
        Set<String> names = new HashSet<>();
        List<ReceiveCommand> commands = new ArrayList<>();
        try {
            for (RefChange change : changes) {
                String name = change.name();
                if (!name.startsWith("refs/") || !Repository.isValidRefName(name)) {
                    throw StorageException.invalid("reference '" + printable(name) + "' is not a valid name under refs/");
                }
                if (!names.add(name)) {
                    throw StorageException.invalid("reference " + name + " is updated twice in one batch");
                }
                Ref ref = repository.exactRef(name);
                ObjectId current = ref == null || ref.getObjectId() == null ? ObjectId.zeroId() : ref.getObjectId();
                if (change.expectedOld() != null && !change.expectedOld().equals(current)) {
                    throw StorageException.failed(name + " is at " + describe(current) + ", expected "
                            + describe(change.expectedOld()) + "; nothing was changed");
                }
                if (!change.newId().equals(ObjectId.zeroId()) && !repository.getObjectDatabase().has(change.newId())) {
                    throw StorageException.invalid(name + ": object " + change.newId().name() + " does not exist here");
                }
                if (current.equals(ObjectId.zeroId()) && change.newId().equals(ObjectId.zeroId())) {
                    throw StorageException.failed(name + " does not exist and cannot be deleted");
                }
                commands.add(new ReceiveCommand(current, change.newId(), name));
            }
        } catch (IOException e) {
            throw new StorageException(StorageException.Kind.INTERNAL, "cannot read references: " + e.getMessage(), e);
        }
        return commands;
    }

    /** SHA-256 over "name current new" lines sorted by name: identical on replicas that agree on everything. */
    public static byte[] hash(List<ReceiveCommand> commands) {
        List<ReceiveCommand> sorted = new ArrayList<>(commands);
        sorted.sort(Comparator.comparing(ReceiveCommand::getRefName));
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (ReceiveCommand command : sorted) {
                digest.update((command.getRefName() + " " + command.getOldId().name() + " " + command.getNewId().name() + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is unavailable", e);
        }
    }

    /** Applies the commands atomically: all or none. */
    public static void execute(Repository repository, List<ReceiveCommand> commands) throws StorageException {
        if (commands.size() == 1) {
            // One reference is atomic on its own: a loose-ref write, instead of rewriting packed-refs as a batch does.
            executeOne(repository, commands.get(0));
            return;
        }
        BatchRefUpdate batch = repository.getRefDatabase().newBatchUpdate().setAtomic(true).setAllowNonFastForwards(true);
        batch.setRefLogMessage("gitward", false);
        batch.addCommand(commands);
        try (RevWalk walk = new RevWalk(repository)) {
            batch.execute(walk, NullProgressMonitor.INSTANCE);
        } catch (IOException e) {
            throw new StorageException(StorageException.Kind.INTERNAL, "reference update failed: " + e.getMessage(), e);
        }
        for (ReceiveCommand command : commands) {
            if (command.getResult() != ReceiveCommand.Result.OK) {
                throw StorageException.failed(command.getRefName() + ": " + command.getResult()
                        + (command.getMessage() == null ? "" : " (" + command.getMessage() + ")") + "; nothing was changed");
            }
        }
    }

    private static void executeOne(Repository repository, ReceiveCommand command) throws StorageException {
        try (RevWalk walk = new RevWalk(repository)) {
            RefUpdate update = repository.updateRef(command.getRefName());
            update.setExpectedOldObjectId(command.getOldId());
            update.setNewObjectId(command.getNewId());
            update.setForceUpdate(true);
            update.setRefLogMessage("gitward", false);
            RefUpdate.Result result = command.getType() == ReceiveCommand.Type.DELETE ? update.delete(walk)
                    : update.update(walk);
            switch (result) {
                case NEW, FORCED, FAST_FORWARD, NO_CHANGE -> command.setResult(ReceiveCommand.Result.OK);
                default -> {
                    command.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON, result.name());
                    throw StorageException.failed(command.getRefName() + ": " + result + "; nothing was changed");
                }
            }
        } catch (IOException e) {
            throw new StorageException(StorageException.Kind.INTERNAL, "reference update failed: " + e.getMessage(), e);
        }
    }

    private static String describe(ObjectId id) {
        return id.equals(ObjectId.zeroId()) ? "nothing (absent)" : id.name();
    }

    private static String printable(String value) {
        return value.replaceAll("[\\p{Cntrl}]", "?");
    }
}
