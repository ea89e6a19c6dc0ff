package org.carapace.api.secoc;

/** How a channel constructs and checks freshness values. See {@code docs/secoc.md}, "Freshness". */
public enum FreshnessType {
    /** No freshness value (length 0): replays cannot be detected by design (SecOC profile 2). */
    NONE,
    /** A monotonic counter per Data ID, rebuilt from its truncated least significant bits; strictly increasing. */
    COUNTER,
    /** JASPAR trip counter | reset counter | message counter | reset flag, synchronised by a freshness master. */
    JASPAR,
    /** The authenticated trip and reset counters themselves: the freshness master's synchronisation messages. */
    JASPAR_SYNC,
    /** A time stamp from the synchronised time base, accepted within a window and strictly increasing. */
    TIMESTAMP
}
