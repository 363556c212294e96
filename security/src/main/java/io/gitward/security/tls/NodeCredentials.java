package io.gitward.security.tls;

import static java.util.Objects.requireNonNull;

import io.gitward.security.x509.CertificateRejectedException;
import io.gitward.security.x509.Purpose;
import io.gitward.security.x509.RejectReason;
import io.gitward.security.x509.ValidatedPeer;
import io.gitward.security.x509.ValidationOptions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The node's current key material and trust, swapped atomically on reload, and the one place where peer
 * chains are validated (with a cache). Listeners hear about swaps so TLS contexts are rebuilt and open
 * connections re-checked. Thread-safe.
 */
public final class NodeCredentials {
    private final AtomicReference<KeyMaterial> keyMaterial;
    private final AtomicReference<TrustState> trust;
    private final AtomicLong generations = new AtomicLong();
    private final ValidationCache cache = new ValidationCache();
    private final HandshakeFailures failures;
    private final Clock clock;
    private final List<Consumer<KeyMaterial>> keyListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<TrustState>> trustListeners = new CopyOnWriteArrayList<>();

    /**
     * @param keyMaterial the node's key and chain, or null for a node without a certificate (phase 0)
     */
    public NodeCredentials(KeyMaterial keyMaterial, TrustState trust, HandshakeFailures failures, Clock clock) {
        this.keyMaterial = new AtomicReference<>(keyMaterial);
        this.trust = new AtomicReference<>(requireNonNull(trust, "trust"));
        generations.set(trust.generation());
        this.failures = requireNonNull(failures, "failures");
        this.clock = requireNonNull(clock, "clock");
    }

    public KeyMaterial keyMaterial() {
        return keyMaterial.get();
    }

    public TrustState trust() {
        return trust.get();
    }

    public HandshakeFailures failures() {
        return failures;
    }

    /** Installs new key material and tells listeners (new handshakes present it; open connections stay). */
    public void updateKeyMaterial(KeyMaterial material) {
        keyMaterial.set(requireNonNull(material, "material"));
        keyListeners.forEach(listener -> listener.accept(material));
    }

    /** Installs new trust as the next generation; returns it after listeners re-checked what they hold. */
    public TrustState updateTrust(TrustState next) {
        TrustState numbered = new TrustState(next.material(), next.identityMode(), next.staleCrlIsFatal(),
                generations.incrementAndGet());
        trust.set(numbered);
        cache.clear();
        trustListeners.forEach(listener -> listener.accept(numbered));
        return numbered;
    }

    public void onKeyMaterialChange(Consumer<KeyMaterial> listener) {
        keyListeners.add(listener);
    }

    public void onTrustChange(Consumer<TrustState> listener) {
        trustListeners.add(listener);
    }

    /**
     * Validates a peer's chain under the current trust. Refusals are counted in {@link HandshakeFailures}
     * when {@code countFailures} (handshakes), not when re-checking established connections.
     */
    public ValidatedPeer validate(List<X509Certificate> chain, Purpose purpose, boolean countFailures)
            throws CertificateRejectedException {
        TrustState state = trust.get();
        Instant now = clock.instant();
        String key = ValidationCache.key(chain, purpose);
        ValidatedPeer cached = cache.get(key, state.generation(), now);
        if (cached != null) {
            return cached;
        }
        try {
            ValidatedPeer peer = state.validator().validate(chain, List.of(),
                    new ValidationOptions(now, purpose, state.identityMode(), state.staleCrlIsFatal()));
            cache.put(key, peer, state.generation(), now);
            return peer;
        } catch (CertificateRejectedException e) {
            if (countFailures) {
                failures.record(e.reason());
            }
            throw e;
        }
    }

    /** Validates and additionally requires the peer to be {@code expected} (outbound pinning). */
    public ValidatedPeer validateServer(List<X509Certificate> chain, io.gitward.security.identity.NodeIdentity expected)
            throws CertificateRejectedException {
        ValidatedPeer peer = validate(chain, Purpose.TLS_SERVER, true);
        if (expected != null && !peer.identity().equals(expected)) {
            failures.record(RejectReason.WRONG_PEER);
            throw new CertificateRejectedException(RejectReason.WRONG_PEER, "dialed " + expected + " but the peer is "
                    + peer.identity() + "; nothing was sent");
        }
        return peer;
    }
}
