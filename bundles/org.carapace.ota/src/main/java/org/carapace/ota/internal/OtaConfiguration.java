package org.carapace.ota.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Carapace OTA installer",
    description = "Where update packages arrive, where the installer keeps its state, how large packages may be and how long a "
        + "new bundle has to prove itself. Required: there is no default inbox.")
@interface OtaConfiguration {

    String PID = "org.carapace.ota";

    @AttributeDefinition(name = "Inbox", description = "Directory the vehicle's OTA client drops packages into (write NAME.ota.part, "
        + "then rename it to NAME.ota). Absolute, or relative to the platform's data directory.")
    String inbox();

    @AttributeDefinition(name = "State directory", description = "Journal, committed state (release counters) and the jar store. "
        + "Absolute, or relative to the platform's data directory.")
    String directory();

    @AttributeDefinition(name = "Hardware id", description = "This device's hardware id; packages bound to other hardware are refused. "
        + "Empty: packages bound to any hardware are refused.")
    String hardwareId() default "";

    @AttributeDefinition(name = "Inbox poll interval (ms)", description = "Longest time between two looks at the inbox.")
    long pollMillis() default 1000;

    @AttributeDefinition(name = "Health timeout (ms)", description = "How long updated bundles have to become active, satisfy their "
        + "components and pass their self-tests before the update is rolled back.")
    long healthTimeoutMillis() default 15_000;

    @AttributeDefinition(name = "Maximum archive size (bytes)")
    long maxArchiveBytes() default 64L << 20;

    @AttributeDefinition(name = "Maximum metadata size (bytes)")
    int maxMetadataBytes() default 1 << 20;

    @AttributeDefinition(name = "Maximum jar size (bytes)")
    long maxBundleBytes() default 32L << 20;

    @AttributeDefinition(name = "Maximum bundles per package")
    int maxBundles() default 32;

    @AttributeDefinition(name = "Bundles never updated", description = "Symbolic names an update may not replace: updating them would "
        + "restart the installer in the middle of its own update. The installer itself is always in the list.")
    String[] protectedBundles() default {"org.carapace.ota", "org.carapace.api"};

    @AttributeDefinition(name = "Command sources", description = "Location prefixes an ota command from the back end may point to: "
        + "https://host[:port]/path/ or http://host[:port]/path/ (several per entry, separated by commas; file: is not supported). "
        + "Empty: every command is refused; packages still arrive through the inbox.")
    String[] commandSources() default {};

    @AttributeDefinition(name = "Longest command lifetime (ms)", description = "A command whose expiry lies further in the future "
        + "is refused (MALFORMED): it bounds how long a captured command can be replayed.")
    long maxCommandLifetimeMillis() default 86_400_000;

    @AttributeDefinition(name = "Download timeout (ms)", description = "Longest time one command's package may take to fetch: connect, "
        + "answer and body. A slower transfer is cut off and reported failed.")
    long downloadTimeoutMillis() default 300_000;

    @AttributeDefinition(name = "Test only: pause at step", description = "Makes the installer write the marker file "
        + "<directory>/test-paused-at and wait for good when it reaches this step of an update (stored, journal, updated, refreshed, "
        + "healthy, committed), so a crash test can kill the process there with SIGKILL. Empty in every profile but the dev "
        + "profile's placeholder; the crash tests set it.")
    String testPauseAt() default "";
}
