package org.carapace.platform.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

@ObjectClassDefinition(name = "Carapace platform",
    description = "Identity of this device and where the runtime keeps its state.")
@interface PlatformConfiguration {

    String PID = "org.carapace.platform";

    @AttributeDefinition(name = "Device id",
        description = "Identifier of this vehicle or device; appears in every event, binds policies and updates. "
            + "Letters, digits, '.', '_' and '-' only, at most 64 characters.")
    String deviceId();

    @AttributeDefinition(name = "Profile", description = "Name of the runtime profile, e.g. dev or headunit.")
    String profile() default "dev";

    @AttributeDefinition(name = "Data directory",
        description = "Absolute path of the directory for persistent state; created with mode 0700.")
    String dataDir();

    @AttributeDefinition(name = "Run directory",
        description = "Absolute path of the directory for sockets; created with mode 0700.")
    String runDir();
}
