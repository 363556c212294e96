package io.gitward.security.x509;

import io.gitward.security.identity.TrustDomain;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The trust bundles a node holds, one per trust domain. Immutable; a reload builds a new instance. */
public final class TrustMaterial {
    private final Map<TrustDomain, TrustBundle> bundles;

    public TrustMaterial(List<TrustBundle> bundles) {
        Map<TrustDomain, TrustBundle> map = new TreeMap<>();
        for (TrustBundle bundle : bundles) {
            if (map.put(bundle.trustDomain(), bundle) != null) {
                throw new IllegalArgumentException("trust domain '" + bundle.trustDomain() + "' has two bundles");
            }
        }
        this.bundles = Map.copyOf(map);
    }

    public static TrustMaterial of(TrustBundle... bundles) {
        return new TrustMaterial(List.of(bundles));
    }

    public Optional<TrustBundle> bundleFor(TrustDomain trustDomain) {
        return Optional.ofNullable(bundles.get(trustDomain));
    }

    public Map<TrustDomain, TrustBundle> bundles() {
        return bundles;
    }

    public String trustedDomainNames() {
        return String.join(", ", new TreeMap<>(bundles).keySet().stream().map(TrustDomain::name).toList());
    }
}
