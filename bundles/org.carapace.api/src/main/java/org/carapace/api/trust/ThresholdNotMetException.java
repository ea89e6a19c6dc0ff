package org.carapace.api.trust;

import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/** Fewer distinct keys of a role signed than the role's threshold. A key that signed twice was counted once. */
public class ThresholdNotMetException extends TrustException {
    private static final long serialVersionUID = 1L;

    private final Role role;
    private final int threshold;
    private final Set<KeyId> counted;

    /**
     * @param role the role verified for
     * @param threshold its threshold
     * @param counted the distinct keys of the role whose signatures verified
     */
    public ThresholdNotMetException(Role role, int threshold, Set<KeyId> counted) {
        super(Reason.THRESHOLD_NOT_MET, "role " + role + " needs " + threshold + " distinct signature(s), "
            + counted.size() + " verified");
        this.role = role;
        this.threshold = threshold;
        this.counted = Collections.unmodifiableSet(new TreeSet<>(counted));
    }

    public Role role() {
        return role;
    }

    public int threshold() {
        return threshold;
    }

    /** The distinct keys that counted. */
    public Set<KeyId> counted() {
        return counted;
    }
}
