package org.carapace.dashboard.internal;

/**
 * The HTTP side's explicit limits.
 *
 * @param defaultPageSize events per page when the request names none
 * @param maxPageSize events per page at most ({@code limit})
 * @param maxBodyBytes request body bytes at most (login, layout)
 * @param maxLiveClients server-sent-events clients at most
 * @param liveQueue events buffered per live client before it is disconnected
 * @param maxRangeMs the timeline's time range at most
 * @param maxBuckets the timeline's buckets at most
 * @param maxDevices devices listed by the overview at most
 * @param workers threads answering ordinary requests (live clients have their own)
 */
public record Limits(int defaultPageSize, int maxPageSize, int maxBodyBytes, int maxLiveClients, int liveQueue, long maxRangeMs,
                     int maxBuckets, int maxDevices, int workers) {

    public Limits {
        if (defaultPageSize < 1 || maxPageSize < defaultPageSize || maxBodyBytes < 1024 || maxLiveClients < 1 || liveQueue < 1
            || maxRangeMs < 60_000 || maxBuckets < 1 || maxDevices < 1 || workers < 1) {
            throw new IllegalArgumentException("dashboard limits out of range: " + this);
        }
    }

    /** The defaults: 100 events a page (500 at most), 64 KiB bodies, 32 live clients, 31 days, 1,000 buckets. */
    public static Limits defaults() {
        return new Limits(100, 500, 64 * 1024, 32, 1024, 31L * 24 * 3600_000, 1000, 10_000, 8);
    }
}
