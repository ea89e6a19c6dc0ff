package org.carapace.platform.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Pattern;
import org.carapace.api.platform.PlatformInfo;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Registers {@link PlatformInfo} from the required {@code org.carapace.platform} configuration. A configuration
 * that names no device, relative paths or directories that cannot be made private makes activation fail, so
 * nothing that depends on the platform starts with a half-valid identity.
 */
@Component(configurationPid = PlatformConfiguration.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = PlatformConfiguration.class)
public final class PlatformInfoComponent implements PlatformInfo {

    private static final Pattern DEVICE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final String deviceId;
    private final String profile;
    private final Path dataDir;
    private final Path runDir;

    @Activate
    public PlatformInfoComponent(PlatformConfiguration config) throws IOException {
        this(config.deviceId(), config.profile(), config.dataDir(), config.runDir());
    }

    PlatformInfoComponent(String deviceId, String profile, String dataDir, String runDir) throws IOException {
        if (deviceId == null || !DEVICE_ID.matcher(deviceId).matches()) {
            throw new IllegalArgumentException("deviceId must match " + DEVICE_ID + ", was '" + deviceId + "'");
        }
        if (profile == null || profile.isBlank()) {
            throw new IllegalArgumentException("profile must not be empty");
        }
        this.deviceId = deviceId;
        this.profile = profile;
        this.dataDir = privateDirectory("dataDir", dataDir);
        this.runDir = privateDirectory("runDir", runDir);
    }

    static Path privateDirectory(String name, String value) throws IOException {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must be set");
        }
        Path dir = Path.of(value);
        if (!dir.isAbsolute()) {
            throw new IllegalArgumentException(name + " must be an absolute path, was '" + value + "'");
        }
        Files.createDirectories(dir);
        // state and sockets are the runtime's alone: the directory itself is the first access check
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        return dir.toRealPath();
    }

    @Override
    public String deviceId() {
        return deviceId;
    }

    @Override
    public String profile() {
        return profile;
    }

    @Override
    public Path dataDir() {
        return dataDir;
    }

    @Override
    public Path runDir() {
        return runDir;
    }

    @Override
    public String toString() {
        return "PlatformInfo[device=" + deviceId + ", profile=" + profile + ", data=" + dataDir + ", run=" + runDir + "]";
    }
}
