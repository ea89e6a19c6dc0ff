package org.carapace.api.image;

import java.time.Duration;

/**
 * What one hash computation did.
 *
 * @param entries      entries listed (after exclusions)
 * @param bytesRead    content bytes read and hashed (for layered sources: uncompressed layer bytes)
 * @param cacheHits    regular files whose digest came from the file digest cache (directory sources only)
 * @param cacheMisses  regular files read because the cache had no valid entry (or strict mode was on)
 * @param layers       layers read (0 for directory sources)
 * @param elapsed      wall-clock time
 */
public record HashStatistics(long entries, long bytesRead, long cacheHits, long cacheMisses, int layers, Duration elapsed) {

    public HashStatistics {
        if (entries < 0 || bytesRead < 0 || cacheHits < 0 || cacheMisses < 0 || layers < 0 || elapsed == null) {
            throw new IllegalArgumentException("statistics must not be negative");
        }
    }
}
