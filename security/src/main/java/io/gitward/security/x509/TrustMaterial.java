package io.gitward.security.x509;

import io.gitward.security.identity.TrustDomain;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** The trust bundles a node holds, one per trust domain. Immutable; a reload builds a new instance. */
public final class TrustMaterial {
    private final Map<TrustDomain, TrustBundle> bundles;
    /** Anchors held by more than one domain's bundle (one offline root over several cells), with those domains. */
    private final Map<X509Certificate, Set<String>> sharedAnchors;

    public TrustMaterial(List<TrustBundle> bundles) {
        Map<TrustDomain, TrustBundle> map = new TreeMap<>();
        for (TrustBundle bundle : bundles) {
            if (map.put(bundle.trustDomain(), bundle) != null) {
                throw new IllegalArgumentException("trust domain '" + bundle.trustDomain() + "' has two bundles");
            }
        }
        this.bundles = Map.copyOf(map);
        Map<X509Certificate, Set<String>> holders = new HashMap<>();
        for (TrustBundle bundle : map.values()) {
            for (X509Certificate anchor : bundle.anchors()) {
                holders.computeIfAbsent(anchor, a -> new TreeSet<>()).add(bundle.trustDomain().name());
            }
        }
        holders.values().removeIf(domains -> domains.size() < 2);
        this.sharedAnchors = Map.copyOf(holders);
    }

    /**
     * The trust domains whose bundles all hold {@code anchor}, when more than one does; empty otherwise. A shared
     * anchor by itself binds no domain: something below it must (see {@link PeerCertificateValidator}).
     */
    public Set<String> domainsSharing(X509Certificate anchor) {
        return sharedAnchors.getOrDefault(anchor, Set.of());
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
