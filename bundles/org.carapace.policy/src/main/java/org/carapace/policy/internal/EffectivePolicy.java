package org.carapace.policy.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.policy.AllowedImage;
import org.carapace.api.policy.ContainerContext;
import org.carapace.api.policy.Exemption;
import org.carapace.api.policy.ImageRule;
import org.carapace.api.policy.PolicyDocument;
import org.carapace.api.policy.PolicyKind;
import org.carapace.api.policy.PolicySnapshot;
import org.carapace.api.policy.Revocation;

/**
 * An immutable effective policy: base ∪ additions − revocations, indexed by rootfs digest in a hash map (O(1)
 * lookups). Built once per change; shared by every reader without locking.
 */
final class EffectivePolicy implements PolicySnapshot {

    private final long generation;
    private final Instant createdAt;
    private final Map<String, Long> versions;
    private final Instant expires;
    private final long expiresMillis;
    private final Map<String, AllowedImage> byDigest;
    private final List<AllowedImage> images;
    private final Set<String> revoked;
    private final List<Exemption> exemptions;
    private final List<String> shadowed;

    private EffectivePolicy(long generation, Instant createdAt, Map<String, Long> versions, Instant expires,
                            Map<String, AllowedImage> byDigest, List<AllowedImage> images, Set<String> revoked,
                            List<Exemption> exemptions, List<String> shadowed) {
        this.generation = generation;
        this.createdAt = createdAt;
        this.versions = versions;
        this.expires = expires;
        this.expiresMillis = expires == null ? Long.MAX_VALUE : expires.toEpochMilli();
        this.byDigest = byDigest;
        this.images = images;
        this.revoked = revoked;
        this.exemptions = exemptions;
        this.shadowed = shadowed;
    }

    static EffectivePolicy empty(long generation, Instant now) {
        return new EffectivePolicy(generation, now, Map.of(), null, Map.of(), List.of(), Set.of(), List.of(), List.of());
    }

    /**
     * Builds the effective policy from the documents in force.
     *
     * @param base the base document in force; {@code null} makes the result empty (additions need a base: its
     *             revocations are what keeps them honest)
     * @param additions the additional documents in force, in ascending stream order
     */
    static EffectivePolicy build(long generation, Instant now, PolicyDocument base, List<PolicyDocument> additions) {
        if (base == null) {
            return empty(generation, now);
        }
        if (base.kind() != PolicyKind.BASE) {
            throw new IllegalArgumentException("not a base document: " + base.label());
        }
        Set<String> revoked = new HashSet<>();
        for (Revocation revocation : base.revocations()) {
            revoked.add(revocation.digest());
        }
        List<PolicyDocument> documents = new ArrayList<>(1 + additions.size());
        documents.add(base);
        documents.addAll(additions);
        int total = documents.stream().mapToInt(d -> d.images().size()).sum();
        Map<String, AllowedImage> byDigest = new HashMap<>(Math.max(16, total * 4 / 3 + 1));
        List<AllowedImage> images = new ArrayList<>(total);
        List<String> shadowed = new ArrayList<>();
        Map<String, Long> versions = new LinkedHashMap<>();
        Instant expires = null;
        for (PolicyDocument document : documents) {
            versions.put(document.stream(), document.version());
            if (document.expires().isPresent() && (expires == null || document.expires().get().isBefore(expires))) {
                expires = document.expires().get();
            }
            for (ImageRule rule : document.images()) {
                if (revoked.contains(rule.rootfsDigest()) || rule.manifestDigest().map(revoked::contains).orElse(false)) {
                    continue; // a revocation overrides every allow
                }
                AllowedImage allowed = new AllowedImage(rule, document.stream(), document.version());
                AllowedImage earlier = byDigest.putIfAbsent(rule.rootfsDigest(), allowed);
                if (earlier == null) {
                    images.add(allowed);
                } else {
                    shadowed.add(rule.rootfsDigest() + " in " + document.label() + " (kept from " + earlier.stream() + ")");
                }
            }
        }
        return new EffectivePolicy(generation, now, Collections.unmodifiableMap(versions), expires,
            Collections.unmodifiableMap(byDigest), Collections.unmodifiableList(images), Collections.unmodifiableSet(revoked),
            base.exemptions(), List.copyOf(shadowed));
    }

    /**
     * The earliest expiry of a document in force in epoch milliseconds, {@link Long#MAX_VALUE} for none; compared with
     * the clock on every snapshot() call (a long comparison, no allocation).
     */
    long nextExpiryMillis() {
        return expiresMillis;
    }

    /** Images listed by more than one document, with which one won. */
    List<String> shadowed() {
        return shadowed;
    }

    @Override
    public long generation() {
        return generation;
    }

    @Override
    public Instant createdAt() {
        return createdAt;
    }

    @Override
    public boolean isEmpty() {
        return versions.isEmpty();
    }

    @Override
    public Map<String, Long> versions() {
        return versions;
    }

    @Override
    public Optional<Instant> expires() {
        return Optional.ofNullable(expires);
    }

    @Override
    public Optional<AllowedImage> lookup(String rootfsDigest) {
        return Optional.ofNullable(byDigest.get(rootfsDigest));
    }

    @Override
    public boolean isRevoked(String digest) {
        return revoked.contains(digest);
    }

    @Override
    public Collection<AllowedImage> images() {
        return images;
    }

    @Override
    public int imageCount() {
        return images.size();
    }

    @Override
    public Set<String> revocations() {
        return revoked;
    }

    @Override
    public List<Exemption> exemptions() {
        return exemptions;
    }

    @Override
    public Optional<Exemption> exemptionFor(ContainerContext container) {
        for (Exemption exemption : exemptions) {
            if (exemption.matches(container)) {
                return Optional.of(exemption);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "PolicySnapshot[generation " + generation + ", " + versions + ", " + images.size() + " images, "
            + revoked.size() + " revocations, " + exemptions.size() + " exemptions]";
    }
}
