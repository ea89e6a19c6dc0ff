package org.carapace.policy.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Carapace policy store",
    description = "Where the signed policy documents are kept and how large they may be. Required: there is no default "
        + "policy location.")
@interface PolicyConfiguration {

    String PID = "org.carapace.policy";

    @AttributeDefinition(name = "Directory",
        description = "Where accepted policy envelopes and their rollback counters are kept. Absolute, or relative to the "
            + "platform's data directory (for example 'policy').")
    String directory();

    @AttributeDefinition(name = "Maximum envelope size (bytes)",
        description = "Larger envelopes are refused unread, at installation and when read back from disk.")
    long maxEnvelopeBytes() default 48L << 20;

    @AttributeDefinition(name = "Maximum document size (bytes)", description = "Largest policy payload inside an envelope.")
    long maxDocumentBytes() default 32L << 20;

    @AttributeDefinition(name = "Maximum JSON nesting depth")
    int maxNestingDepth() default 16;

    @AttributeDefinition(name = "Maximum images per document")
    int maxImages() default 100_000;

    @AttributeDefinition(name = "Maximum exec whitelist entries per image")
    int maxFilesPerImage() default 100_000;

    @AttributeDefinition(name = "Maximum path rules per image",
        description = "Protected paths, writable paths and associated-execution rules together.")
    int maxPathsPerImage() default 4096;

    @AttributeDefinition(name = "Maximum revocations per document")
    int maxRevocations() default 100_000;

    @AttributeDefinition(name = "Maximum exemptions per document")
    int maxExemptions() default 256;

    @AttributeDefinition(name = "Maximum device ids per document")
    int maxDeviceIds() default 100_000;

    @AttributeDefinition(name = "Maximum additional streams", description = "How many additional policies the store keeps.")
    int maxStreams() default 256;
}
