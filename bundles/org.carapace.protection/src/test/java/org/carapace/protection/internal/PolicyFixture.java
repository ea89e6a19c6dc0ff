package org.carapace.protection.internal;

import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.policy.AllowedImage;
import org.carapace.api.policy.ContainerContext;
import org.carapace.api.policy.Exemption;
import org.carapace.api.policy.ImageRule;
import org.carapace.api.policy.PolicyChange;
import org.carapace.api.policy.PolicyService;
import org.carapace.api.policy.PolicySnapshot;
import org.carapace.api.policy.PolicyStatus;

/** A policy store in memory for unit tests: its snapshot answers from a map of allowed images (read live). */
final class PolicyFixture {

    private PolicyFixture() {
    }

    /** A policy in force (base v1) that allows these images. */
    static PolicyService allowing(ImageRule... rules) {
        Map<String, AllowedImage> images = new HashMap<>();
        for (ImageRule rule : rules) {
            images.put(rule.rootfsDigest(), new AllowedImage(rule, "base", 1));
        }
        return over(images);
    }

    static PolicyService over(Map<String, AllowedImage> images) {
        PolicySnapshot snapshot = new PolicySnapshot() {
            @Override
            public long generation() {
                return 1;
            }

            @Override
            public Instant createdAt() {
                return Instant.EPOCH;
            }

            @Override
            public boolean isEmpty() {
                return images.isEmpty();
            }

            @Override
            public Map<String, Long> versions() {
                return Map.of("base", 3L);
            }

            @Override
            public Optional<Instant> expires() {
                return Optional.empty();
            }

            @Override
            public Optional<AllowedImage> lookup(String rootfsDigest) {
                return Optional.ofNullable(images.get(rootfsDigest));
            }

            @Override
            public boolean isRevoked(String digest) {
                return false;
            }

            @Override
            public Collection<AllowedImage> images() {
                return images.values();
            }

            @Override
            public int imageCount() {
                return images.size();
            }

            @Override
            public Set<String> revocations() {
                return Set.of();
            }

            @Override
            public List<Exemption> exemptions() {
                return List.of();
            }

            @Override
            public Optional<Exemption> exemptionFor(ContainerContext container) {
                return Optional.empty();
            }
        };
        return new PolicyService() {
            @Override
            public PolicySnapshot snapshot() {
                return snapshot;
            }

            @Override
            public PolicyStatus status() {
                throw new UnsupportedOperationException();
            }

            @Override
            public PolicyChange install(byte[] envelopeJson) {
                throw new UnsupportedOperationException();
            }
        };
    }
}
