package org.carapace.api.trust;

import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * The threshold of a role was not met, and some signatures name keys that are not keys of that role (unknown to the
 * root, or keys of another role).
 */
public class UnknownKeyException extends TrustException {
    private static final long serialVersionUID = 1L;

    private final Role role;
    private final Set<KeyId> unknownKeys;

    public UnknownKeyException(Role role, Set<KeyId> unknownKeys) {
        super(Reason.UNKNOWN_KEY, "signed by " + unknownKeys.size() + " key(s) that are not keys of role " + role + ": "
            + unknownKeys.stream().map(KeyId::shortForm).toList());
        this.role = role;
        this.unknownKeys = Collections.unmodifiableSet(new TreeSet<>(unknownKeys));
    }

    public Role role() {
        return role;
    }

    /** The key ids named by signatures that are not keys of the role. */
    public Set<KeyId> unknownKeys() {
        return unknownKeys;
    }
}
