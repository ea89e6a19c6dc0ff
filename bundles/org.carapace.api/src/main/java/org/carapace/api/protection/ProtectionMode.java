package org.carapace.api.protection;

/** How a protected container's violations are handled. */
public enum ProtectionMode {
    /** Violations are refused by the kernel and reported. */
    ENFORCE,
    /** Violations are allowed and reported (for trying a policy out before enforcing it). */
    AUDIT
}
