package org.carapace.policy.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Carapace trust anchors",
    description = "Where the device's trust root comes from and where its rotations are kept. Required: there is no "
        + "default trust anchor.")
@interface TrustConfiguration {

    String PID = "org.carapace.trust";

    @AttributeDefinition(name = "Anchor",
        description = "The provisioned root envelope (signed by its own root-role threshold). Absolute, or relative to the "
            + "platform's data directory. Should live on read-only, verified storage; if the file is missing the device "
            + "has no root and nothing verifies (fail closed).")
    String anchor();

    @AttributeDefinition(name = "Anchor SHA-256",
        description = "If set, the anchor file's SHA-256 (64 lowercase hex) must equal this pin, so an anchor on writable "
            + "storage cannot be swapped. Empty for no pin.", required = false)
    String anchorSha256() default "";

    @AttributeDefinition(name = "Directory",
        description = "Where accepted root rotations and the root rollback counter are kept. Absolute, or relative to the "
            + "platform's data directory.")
    String directory();

    @AttributeDefinition(name = "Allow bootstrap",
        description = "Whether a first root may be installed through the runtime (carapace trust install) when no anchor "
            + "file exists. For development only: a production device is provisioned with its anchor.")
    boolean allowBootstrap() default false;

    @AttributeDefinition(name = "Maximum envelope size (bytes)", description = "Larger envelopes are refused unread.")
    long maxEnvelopeBytes() default 48L << 20;

    @AttributeDefinition(name = "Maximum signatures per envelope")
    int maxSignatures() default 16;
}
