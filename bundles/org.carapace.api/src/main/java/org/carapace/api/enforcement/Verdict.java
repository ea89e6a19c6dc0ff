package org.carapace.api.enforcement;

/** What the gate answers the OCI runtime. */
public enum Verdict {
    /** The image is allowed (or the container is exempted): creation proceeds. */
    ALLOW,
    /** The image would have been refused, but the policy's mode is audit: creation proceeds and is reported. */
    AUDIT,
    /** Creation is aborted. Every failure of the gate itself is a refusal. */
    REFUSE
}
