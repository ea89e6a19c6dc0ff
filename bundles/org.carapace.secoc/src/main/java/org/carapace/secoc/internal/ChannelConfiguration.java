package org.carapace.secoc.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Carapace SecOC channel",
    description = "One Data ID: layout (a profile preset or free lengths), MAC algorithm, keys and freshness. "
        + "A factory configuration per channel; see docs/secoc.md.")
@interface ChannelConfiguration {

    String PID = "org.carapace.secoc.channel";

    @AttributeDefinition(name = "Name",
        description = "Unique channel name (service property secoc.name): letters, digits, '.', '_', '-', at most 64.")
    String secoc_name();

    @AttributeDefinition(name = "Data ID",
        description = "The 16-bit SecOC Data ID (0..65535) that every MAC covers (service property secoc.dataId).")
    int secoc_dataId();

    @AttributeDefinition(name = "Profile",
        description = "A SecOC profile preset: 1 (24Bit-CMAC-8Bit-FV), 2 (24Bit-CMAC-No-FV), 3 (JASPAR), or empty for free "
            + "lengths. Explicit lengths below override the preset's.")
    String profile() default "";

    @AttributeDefinition(name = "Header length (bytes)", description = "Authentic-PDU length header, 0..4; -1: the profile's (0).")
    int headerLength() default -1;

    @AttributeDefinition(name = "Freshness value length (bits)",
        description = "Complete freshness value, 0..64; -1: the profile's (profile 1 does not fix one: set it).")
    int freshnessLength() default -1;

    @AttributeDefinition(name = "Transmitted freshness bits",
        description = "Least significant FV bits sent, 0..freshness length; -1: the profile's.")
    int freshnessTxLength() default -1;

    @AttributeDefinition(name = "MAC length (bits)", description = "Most significant MAC bits sent; -1: the profile's.")
    int macLength() default -1;

    @AttributeDefinition(name = "Minimum MAC length (bits)",
        description = "Policy floor: a shorter configured MAC refuses to start. The profiles use 24 and 28.")
    int minimumMacLength() default 24;

    @AttributeDefinition(name = "Algorithm", description = "AES_128_CMAC or HMAC_SHA_256; empty: the profile's (AES_128_CMAC).")
    String algorithm() default "";

    @AttributeDefinition(name = "Key id", description = "Alias of this Data ID's current key in the authenticator.")
    String keyId();

    @AttributeDefinition(name = "Previous key id",
        description = "During a rotation: the retiring key, still accepted on receive (never used to send). Empty: none.")
    String previousKeyId() default "";

    @AttributeDefinition(name = "Verify attempts", description = "Freshness candidates tried per received PDU, 1..64.")
    int verifyAttempts() default 1;

    @AttributeDefinition(name = "Freshness type",
        description = "NONE, COUNTER, JASPAR, JASPAR_SYNC or TIMESTAMP; empty: the profile's (COUNTER without a profile).")
    String freshnessType() default "";

    @AttributeDefinition(name = "Window",
        description = "COUNTER: largest accepted step above the last accepted value (0: no limit). TIMESTAMP: acceptance "
            + "window in ticks around the receiver's time (required).")
    long window() default 0;

    @AttributeDefinition(name = "Time-stamp tick (ms)", description = "TIMESTAMP: milliseconds per freshness tick.")
    long timestampTickMillis() default 1;

    @AttributeDefinition(name = "Sender reservation block",
        description = "Freshness values reserved per write-ahead record on the sender; a restart skips at most this many "
            + "plus one. 0: automatic (the most the receiver's reconstruction tolerates, at most 1024).")
    long txReserveBlock() default 0;

    @AttributeDefinition(name = "Receiver reservation block",
        description = "Accepted values covered per write-ahead record on the receiver; after a restart up to this many "
            + "values are refused. 0: 64.")
    long rxReserveBlock() default 0;

    @AttributeDefinition(name = "Maximum authentic PDU (bytes)", description = "Longer PDUs are refused (and not parsed).")
    int maxAuthenticLength() default 1024;

    @AttributeDefinition(name = "State directory",
        description = "Where the freshness records live. Empty: <data dir>/secoc/freshness. Relative: below the data dir.")
    String stateDirectory() default "";

    @AttributeDefinition(name = "Event interval (ms)",
        description = "Dropped PDUs are aggregated: at most one security event per failure type and channel per interval.")
    long eventIntervalMillis() default 1000;

    @AttributeDefinition(name = "Authenticator filter",
        description = "Selects the MAC provider, e.g. (secoc.authenticator=software) or (secoc.authenticator=hsm).")
    String authenticator_target() default "(secoc.authenticator=software)";

    @AttributeDefinition(name = "JASPAR domain filter",
        description = "JASPAR and JASPAR_SYNC: the freshness domain, e.g. (secoc.jaspar.domain=body); also set "
            + "jasparDomain.cardinality.minimum=1.")
    String jasparDomain_target() default "(secoc.jaspar.domain=*)";
}
