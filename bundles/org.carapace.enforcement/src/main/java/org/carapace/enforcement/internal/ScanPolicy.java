package org.carapace.enforcement.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.carapace.api.policy.AllowedImage;
import org.carapace.api.policy.ImageRule;
import org.carapace.api.policy.PolicyDocument;
import org.carapace.api.policy.PolicySnapshot;
import org.carapace.api.policy.Revocation;

/**
 * What an at-rest scan needs of a policy: the allowed images by rootfs digest and the revoked digests.
 *
 * @param allowed  the allowed images by rootfs digest (revoked ones already removed)
 * @param revoked  revoked rootfs and manifest digests
 * @param label    where the policy came from, for reports
 */
public record ScanPolicy(Map<String, ImageRule> allowed, Set<String> revoked, String label) {

    public ScanPolicy {
        allowed = Map.copyOf(allowed);
        revoked = Set.copyOf(revoked);
    }

    /** The runtime's effective policy. */
    public static ScanPolicy of(PolicySnapshot snapshot) {
        Map<String, ImageRule> allowed = new LinkedHashMap<>();
        for (AllowedImage image : snapshot.images()) {
            allowed.putIfAbsent(image.rule().rootfsDigest(), image.rule());
        }
        return new ScanPolicy(allowed, snapshot.revocations(), "effective policy generation " + snapshot.generation()
            + " " + snapshot.versions());
    }

    /**
     * Verified documents read outside a runtime (the CLI): the union of their images and revocations, with revoked
     * images removed as the effective policy does.
     */
    public static ScanPolicy of(List<PolicyDocument> documents) {
        Set<String> revoked = new HashSet<>();
        List<String> labels = new ArrayList<>();
        for (PolicyDocument document : documents) {
            for (Revocation revocation : document.revocations()) {
                revoked.add(revocation.digest());
            }
            labels.add(document.label());
        }
        Map<String, ImageRule> allowed = new LinkedHashMap<>();
        for (PolicyDocument document : documents) {
            for (ImageRule rule : document.images()) {
                boolean isRevoked = revoked.contains(rule.rootfsDigest())
                    || rule.manifestDigest().map(revoked::contains).orElse(false);
                if (!isRevoked) {
                    allowed.putIfAbsent(rule.rootfsDigest(), rule);
                }
            }
        }
        return new ScanPolicy(allowed, revoked, String.join(", ", labels));
    }

    Optional<ImageRule> lookup(String rootfsDigest) {
        return Optional.ofNullable(allowed.get(rootfsDigest));
    }

    boolean isRevoked(String digest) {
        return revoked.contains(digest);
    }

    boolean isEmpty() {
        return allowed.isEmpty() && revoked.isEmpty();
    }
}
