package org.carapace.api.image;

import org.osgi.annotation.versioning.ConsumerType;

/** Progress of a long hash computation, reported from the computing threads (implementations must be thread-safe). */
@ConsumerType
@FunctionalInterface
public interface HashProgress {

    /** No reporting. */
    HashProgress NONE = (done, total) -> { };

    /**
     * @param bytesDone  bytes consumed so far (compressed blob bytes for layered sources, file bytes for directories)
     * @param bytesTotal the total when known in advance, else -1
     */
    void progress(long bytesDone, long bytesTotal);
}
