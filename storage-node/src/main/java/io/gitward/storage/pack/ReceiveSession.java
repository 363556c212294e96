package io.gitward.storage.pack;

import static java.util.Objects.requireNonNull;

import io.gitward.storage.StorageException;
import io.gitward.storage.StorageSettings.ReceiveLimits;
import io.gitward.storage.refs.RefChange;
import io.gitward.storage.refs.RefTransaction;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.errors.UnpackException;
import org.eclipse.jgit.lib.ObjectChecker;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.PacketLineOut;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.eclipse.jgit.transport.ReceivePack;
import org.eclipse.jgit.transport.RefAdvertiser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stateless receive-pack exchange (a push over smart HTTP) with this node's rules: every received object
 * passes JGit's object checker with the Windows and macOS path rules on (".git" aliases such as ".GIT",
 * "git~1", ".git\u200c", and malformed .gitmodules are refused), pack and object sizes are limited, and
 * objects land in a {@link Quarantine}. The reference updates go through a {@link ReferenceApplier} in the
 * pre-receive step, after the objects are written and checked: there they are voted on, the quarantine is
 * published on COMMIT and the references applied all-or-nothing, so JGit itself never moves a reference.
 * A refused push leaves neither references nor objects behind.
 */
public final class ReceiveSession {
    private static final Logger LOG = LoggerFactory.getLogger(ReceiveSession.class);

    /** Applies the accepted reference changes (lock, vote, publish, atomic update) or refuses them all. */
    @FunctionalInterface
    public interface ReferenceApplier {
        void apply(Repository quarantined, List<RefChange> changes, RefTransaction.BeforeUpdate publish)
                throws StorageException;
    }

    private final Repository repository;
    private final ReceiveLimits limits;

    public ReceiveSession(Repository repository, ReceiveLimits limits) {
        this.repository = requireNonNull(repository, "repository");
        this.limits = requireNonNull(limits, "limits");
    }

    /** The reference advertisement (body of info/refs?service=git-receive-pack, without the service line). */
    public void advertise(OutputStream out) throws IOException {
        receivePack(repository).sendAdvertisedRefs(new RefAdvertiser.PacketLineOutRefAdvertiser(new PacketLineOut(out)));
    }

    /**
     * Reads the push from {@code in} and writes Git's report to {@code out}. A refused pack (malformed, too large,
     * failing a check) is answered in the report, as git does, not by throwing.
     */
    public void receive(InputStream in, OutputStream out, ReferenceApplier applier) throws IOException {
        try (Quarantine quarantine = Quarantine.open(repository)) {
            ReceivePack receivePack = receivePack(quarantine.repository());
            receivePack.setPreReceiveHook((pack, commands) -> {
                List<ReceiveCommand> accepted = ReceiveCommand.filter(commands, ReceiveCommand.Result.NOT_ATTEMPTED);
                if (accepted.isEmpty()) {
                    return;
                }
                List<RefChange> changes = new ArrayList<>();
                for (ReceiveCommand command : accepted) {
                    changes.add(new RefChange(command.getRefName(), command.getOldId(), command.getNewId()));
                }
                try {
                    applier.apply(quarantine.repository(), changes, quarantine::publish);
                    // Applied (and voted on) here: mark them done so JGit does not update them a second time.
                    accepted.forEach(command -> command.setResult(ReceiveCommand.Result.OK));
                } catch (StorageException e) {
                    accepted.forEach(command -> command.setResult(ReceiveCommand.Result.REJECTED_OTHER_REASON,
                            e.getMessage()));
                }
            });
            try {
                receivePack.receive(in, out, null);
            } catch (UnpackException e) {
                // The report (with "unpack <reason>") is already written; nothing of the pack was kept.
                LOG.info("push to {} refused: {}", repository.getDirectory().getName(), describe(e));
            }
        }
    }

    private ReceivePack receivePack(Repository target) {
        ReceivePack receivePack = new ReceivePack(target);
        receivePack.setBiDirectionalPipe(false);
        receivePack.setObjectChecker(new ObjectChecker().setSafeForWindows(true).setSafeForMacOS(true));
        receivePack.setCheckReferencedObjectsAreReachable(true);
        receivePack.setMaxPackSizeLimit(limits.maxPackBytes());
        receivePack.setMaxObjectSizeLimit(limits.maxObjectBytes());
        receivePack.setAllowNonFastForwards(!limits.denyNonFastForwards());
        return receivePack;
    }

    private static String describe(Throwable e) {
        StringBuilder message = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            message.append(": ").append(cause.getMessage());
        }
        return message.toString();
    }
}
