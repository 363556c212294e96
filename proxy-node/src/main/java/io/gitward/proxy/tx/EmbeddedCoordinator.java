package io.gitward.proxy.tx;

import static java.util.Objects.requireNonNull;

import io.gitward.proto.TransactionContext;
import io.gitward.security.identity.NodeIdentity;
import io.gitward.security.runtime.SecurityRuntime;
import io.gitward.transaction.Registration;
import io.gitward.transaction.TransactionException;
import io.gitward.transaction.TransactionManager;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The transaction service inside this proxy: registration in-process, votes arriving on the proxy's own
 * listeners. Storage nodes verify the proxy's identity as the coordinator's before they vote.
 */
public final class EmbeddedCoordinator implements Coordinator {
    private static final Duration STOP_MARGIN = Duration.ofSeconds(10);

    private final TransactionManager manager;
    private final NodeIdentity self;
    private final SecurityRuntime security;
    private volatile String tlsAddress = "";
    private volatile String plaintextAddress = "";

    public EmbeddedCoordinator(TransactionManager manager, NodeIdentity self, SecurityRuntime security) {
        this.manager = requireNonNull(manager, "manager");
        this.self = requireNonNull(self, "self");
        this.security = requireNonNull(security, "security");
    }

    /** Where voters reach this proxy, once its listeners are bound. */
    public void advertise(String tls, String plaintext) {
        this.tlsAddress = tls == null ? "" : tls;
        this.plaintextAddress = plaintext == null ? "" : plaintext;
    }

    @Override
    public String register(Registration registration) throws CoordinatorException {
        try {
            return manager.register(registration, self.toString()).id();
        } catch (TransactionException e) {
            throw new CoordinatorException("cannot register the transaction: " + e.getMessage(), e);
        }
    }

    @Override
    public Set<String> finish(String transactionId, Set<String> succeeded, Duration wait) throws CoordinatorException {
        try {
            // The manager bounds the wait itself; the margin only guards against a stop that never answers.
            return manager.stopOnceCommitted(transactionId, succeeded, wait)
                    .get(wait.toMillis() + STOP_MARGIN.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            String reason = e.getCause() == null ? e.getMessage() : e.getCause().getMessage();
            throw new CoordinatorException("cannot end transaction " + transactionId + ": " + reason, e);
        } catch (TimeoutException e) {
            throw new CoordinatorException("transaction " + transactionId + " did not stop within "
                    + (wait.toMillis() + STOP_MARGIN.toMillis()) + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CoordinatorException("interrupted while ending transaction " + transactionId, e);
        }
    }

    @Override
    public void stop(String transactionId) {
        try {
            manager.stop(transactionId);
        } catch (TransactionException e) {
            // already ended: nothing to stop
        }
    }

    @Override
    public TransactionContext context(String transactionId, String voter) {
        TransactionContext.Builder context = TransactionContext.newBuilder().setTransactionId(transactionId).setVoter(voter)
                .setCoordinatorTlsAddress(tlsAddress).setCoordinatorPlaintextAddress(plaintextAddress)
                .setCoordinatorIdentity(self.toString());
        LegacyToken.addIfEnabled(context, security);
        return context.build();
    }
}
