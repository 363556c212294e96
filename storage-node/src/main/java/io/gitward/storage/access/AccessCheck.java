package io.gitward.storage.access;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gitward.proto.Repository;
import io.gitward.security.tls.KeyMaterial;
import io.gitward.security.tls.NodeCredentials;
import io.gitward.security.tls.TlsProvider;
import io.gitward.storage.StorageException;
import io.gitward.storage.refs.RefChange;
import io.gitward.storage.refs.UpdateVoter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jgit.lib.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the configured endpoint (Rails' {@code /internal/allowed} in GitLab terms) whether a push may make its
 * reference changes, before this replica votes on them.
 *
 * <p>Where the check sits: every replica asks, after the pushed objects are written to its quarantine and before
 * it takes the repository lock and votes PREPARED. A replica that is refused (denied, or no decision within the
 * timeout) does not stay silent: it votes a <em>refusal hash</em>, which no replica that prepares the update can
 * vote, then refuses the push and drops its quarantine. Every strategy (primary-wins, majority, unanimous) needs
 * the primary's hash to win, so a refusing primary makes every other replica's vote lose (ABORT, nothing applied)
 * at once instead of waiting out the transaction; under majority, refusing secondaries take the majority away.
 * Nothing is visible anywhere before the COMMIT outcome, and a refusing replica never applies nor votes COMMITTED,
 * so the proxy sees no replica change and moves no generation. The alternative (only the primary asks) needs
 * storage nodes to know which of them is primary, which the transaction header does not say; asking on every
 * replica costs one request per replica per push and needs no protocol change. The question is read-only, so
 * asking it several times is harmless; an endpoint that answers replicas differently is resolved by the strategy
 * like any disagreement (the primary's answer decides).
 *
 * <p>Thread-safe. Decisions are logged (never a key or certificate) and counted for {@link #prometheusText()}.
 */
public final class AccessCheck implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AccessCheck.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Refuses nothing: the check is off. */
    public static final AccessCheck OFF = new AccessCheck(null, null, Duration.ofSeconds(1));

    private final AccessCheckClient client;
    private final NodeCredentials credentials;
    private final Duration timeout;
    private final Map<AccessDecision.Result, LongAdder> decisions = new EnumMap<>(AccessDecision.Result.class);
    private final LongAdder nanos = new LongAdder();

    private AccessCheck(AccessCheckClient client, NodeCredentials credentials, Duration timeout) {
        this.client = client;
        this.credentials = credentials;
        this.timeout = timeout;
        for (AccessDecision.Result result : AccessDecision.Result.values()) {
            decisions.put(result, new LongAdder());
        }
    }

    /**
     * The check {@code settings} describe, presenting the node's current key from {@code credentials}.
     *
     * @throws IllegalStateException the node has no key and certificate loaded (nothing to present)
     */
    public static AccessCheck create(AccessCheckSettings settings, NodeCredentials credentials, TlsProvider provider) {
        if (!settings.enabled()) {
            return OFF;
        }
        if (credentials.keyMaterial() == null) {
            throw new IllegalStateException(AccessCheckSettings.URL + ": set, but this node has no key and certificate"
                    + " loaded to present to the endpoint; set security.tls.key and security.tls.certificate-chain");
        }
        AccessCheck check = new AccessCheck(new AccessCheckClient(settings, credentials, provider), credentials,
                settings.timeout());
        LOG.info("access check: pushes are checked at {} within {} ms", check.client.describe(), settings.timeout().toMillis());
        return check;
    }

    public boolean enabled() {
        return client != null;
    }

    /**
     * Returns when the endpoint allows every change; otherwise votes the refusal (when {@code voter} belongs to a
     * transaction) and throws PERMISSION_DENIED with the message for the pusher: the endpoint's (sanitised) on a
     * denial, "access check unavailable: …" when no decision was had.
     */
    public void authorize(Repository repository, List<RefChange> changes, UpdateVoter voter) throws StorageException {
        if (client == null) {
            return;
        }
        String target = repository.getStorageName() + "/" + repository.getRelativePath();
        long start = System.nanoTime();
        AccessDecision decision = decide(repository, changes);
        long took = System.nanoTime() - start;
        nanos.add(took);
        decisions.get(decision.result()).increment();
        long millis = Duration.ofNanos(took).toMillis();
        switch (decision.result()) {
            case ALLOWED -> {
                LOG.info("access check: push to {} ({} change(s)) allowed in {} ms", target, changes.size(), millis);
                return;
            }
            case DENIED -> LOG.info("access check: push to {} ({} change(s)) denied in {} ms: {}", target, changes.size(),
                    millis, decision.message());
            case ERROR -> LOG.warn("access check: push to {} ({} change(s)) refused, {} gave no decision: {}", target,
                    changes.size(), client.describe(), decision.message());
            default -> throw new IllegalStateException(decision.result().name());
        }
        voteRefusal(voter, changes, target);
        throw new StorageException(StorageException.Kind.PERMISSION_DENIED, decision.pusherMessage());
    }

    private AccessDecision decide(Repository repository, List<RefChange> changes) {
        try {
            AccessCheckClient.Answer answer = client.post(request(repository, changes), timeout);
            return AccessDecision.interpret(answer.status(), answer.body());
        } catch (AccessCheckClient.ExchangeException e) {
            return AccessDecision.error(e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return AccessDecision.error("interrupted while waiting for the answer");
        }
    }

    /** The JSON body: repository, changes, protocol and this node's identity. No secret is part of it. */
    byte[] request(Repository repository, List<RefChange> changes) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode target = root.putObject("repository");
        target.put("storage_name", repository.getStorageName());
        target.put("relative_path", repository.getRelativePath());
        ArrayNode list = root.putArray("changes");
        for (RefChange change : changes) {
            list.addObject().put("ref", change.name())
                    .put("old_id", (change.expectedOld() == null ? ObjectId.zeroId() : change.expectedOld()).name())
                    .put("new_id", change.newId().name());
        }
        root.put("protocol", "http");
        KeyMaterial key = credentials.keyMaterial();
        root.put("node", key == null ? "" : key.identity().spiffeId());
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Votes PREPARED with a hash no preparing replica can produce (SHA-256 over a prefix and the changes, where
     * RefTransaction hashes the changes alone), so this replica's refusal takes part in the decision. Whatever the
     * outcome, this replica applies nothing and never votes COMMITTED.
     */
    private static void voteRefusal(UpdateVoter voter, List<RefChange> changes, String target) {
        if (voter == UpdateVoter.NONE) {
            return;
        }
        try {
            voter.prepared(refusalHash(changes));
            LOG.debug("access check: refusal vote for {} cast", target);
        } catch (StorageException e) {
            LOG.debug("access check: refusal vote for {}: {}", target, e.getMessage());
        }
    }

    static byte[] refusalHash(List<RefChange> changes) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update("gitward access check refused\n".getBytes(StandardCharsets.UTF_8));
            changes.stream().map(change -> change.name() + " " + change.newId().name() + "\n").sorted()
                    .forEach(line -> digest.update(line.getBytes(StandardCharsets.UTF_8)));
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is unavailable", e);
        }
    }

    /** {@code gitward_access_checks_total{result}} and the time spent asking, in the Prometheus text format. */
    public String prometheusText() {
        if (client == null) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        out.append("# HELP gitward_access_checks_total Pushes checked with the access-check endpoint, by decision.\n");
        out.append("# TYPE gitward_access_checks_total counter\n");
        decisions.forEach((result, count) -> out.append("gitward_access_checks_total{result=\"").append(result.label())
                .append("\"} ").append(count.sum()).append('\n'));
        out.append("# HELP gitward_access_check_seconds Time spent asking the access-check endpoint.\n");
        out.append("# TYPE gitward_access_check_seconds summary\n");
        out.append("gitward_access_check_seconds_sum ").append(nanos.sum() / 1e9).append('\n');
        long count = decisions.values().stream().mapToLong(LongAdder::sum).sum();
        out.append("gitward_access_check_seconds_count ").append(count).append('\n');
        return out.toString();
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
    }
}
