package org.carapace.secoc.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.carapace.api.platform.PlatformInfo;
import org.carapace.api.secoc.Authenticator;
import org.carapace.api.secoc.KeyUnavailableException;
import org.carapace.api.secoc.MacAlgorithm;
import org.carapace.api.secoc.MacSession;
import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The software {@link Authenticator} ({@code secoc.authenticator=software}): keys from a PKCS#12 or BCFKS keystore
 * named by configuration. A key change means a new keystore file and a configuration update: the component is
 * replaced, channels re-open their sessions, and the old keys are wiped. The dev profile may ask it to create a
 * keystore of random keys in the data directory; any other profile refuses to.
 *
 * <p>Registered by the component at the end of a successful activation (see {@link ChannelComponent} for why not by
 * Declarative Services): an authenticator whose keystore cannot be read is never visible.
 */
// registered by hand (see above): declare the service capability that Declarative Services would have declared
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=org.carapace.api.secoc.Authenticator",
    uses = Authenticator.class)
@Component(configurationPid = SoftwareAuthenticatorComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
    service = {})
@Designate(ocd = SoftwareAuthenticatorComponent.Config.class)
public final class SoftwareAuthenticatorComponent implements Authenticator {

    static final String PID = "org.carapace.secoc.authenticator";

    @ObjectClassDefinition(name = "Carapace SecOC software authenticator",
        description = "AES-128 CMAC and HMAC-SHA-256 with keys from a keystore file.")
    @interface Config {
        @AttributeDefinition(name = "Keystore", description = "Keystore file; relative paths are below the data directory.")
        String keystore();

        @AttributeDefinition(name = "Keystore type", description = "PKCS12 or BCFKS.")
        String keystoreType() default "PKCS12";

        @AttributeDefinition(name = "Password file",
            description = "File whose first line is the keystore password (relative: below the data directory). "
                + "Used when no password is given.")
        String keystorePasswordFile() default "";

        @AttributeDefinition(name = "Password", type = AttributeType.PASSWORD,
            description = "The keystore password, e.g. $[secret:secoc-keystore] from the secrets directory.")
        String keystorePassword() default "";

        @AttributeDefinition(name = "Provision (dev only)",
            description = "Create the keystore with random keys (and the password file) if it does not exist. Refused "
                + "unless the platform profile is dev.")
        boolean provision() default false;

        @AttributeDefinition(name = "Keys to provision", description = "ID (16-byte AES key) or ID:BYTES (HMAC, 16..64).")
        String[] provisionKeys() default {};
    }

    private final KeyRing ring;
    private final ServiceRegistration<Authenticator> registration;

    @Activate
    public SoftwareAuthenticatorComponent(BundleContext context, Config config, @Reference PlatformInfo platform,
                                          @Reference(service = LoggerFactory.class) Logger logger) throws Exception {
        this(config, platform, logger, context);
    }

    /** Without a bundle context (unit tests) nothing is registered. */
    SoftwareAuthenticatorComponent(Config config, PlatformInfo platform, Logger logger) throws Exception {
        this(config, platform, logger, null);
    }

    private SoftwareAuthenticatorComponent(Config config, PlatformInfo platform, Logger logger, BundleContext context) throws Exception {
        if (config.keystore() == null || config.keystore().isBlank()) {
            throw new IllegalArgumentException("keystore must name a keystore file");
        }
        Path keystore = platform.dataDir().resolve(config.keystore());
        KeyRing.StoreType type;
        try {
            type = KeyRing.StoreType.valueOf(config.keystoreType().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("keystoreType must be PKCS12 or BCFKS, was '" + config.keystoreType() + "'", e);
        }
        boolean hasPassword = config.keystorePassword() != null && !config.keystorePassword().isEmpty();
        Path passwordFile = config.keystorePasswordFile() == null || config.keystorePasswordFile().isBlank() ? null
            : platform.dataDir().resolve(config.keystorePasswordFile());
        if (!hasPassword && passwordFile == null) {
            throw new IllegalArgumentException("give keystorePasswordFile or keystorePassword");
        }
        if (config.provision()) {
            if (!"dev".equals(platform.profile())) {
                throw new IllegalArgumentException("provisioning keys is for the dev profile only; profile is " + platform.profile());
            }
            if (passwordFile == null || type != KeyRing.StoreType.PKCS12) {
                throw new IllegalArgumentException("provisioning needs keystoreType PKCS12 and a keystorePasswordFile");
            }
            List<DevKeyProvisioner.KeySpec> specs = new ArrayList<>();
            for (String key : config.provisionKeys()) {
                specs.add(DevKeyProvisioner.KeySpec.parse(key));
            }
            if (DevKeyProvisioner.provisionIfMissing(keystore, passwordFile, specs, new SecureRandom())) {
                logger.warn("SecOC dev keys provisioned in {} (random keys for {}); never use them outside the dev profile",
                    keystore, specs.stream().map(DevKeyProvisioner.KeySpec::keyId).toList());
            }
        }
        if (!Files.isRegularFile(keystore)) {
            throw new IllegalArgumentException("keystore " + keystore + " does not exist");
        }
        char[] password = hasPassword ? config.keystorePassword().toCharArray() : DevKeyProvisioner.readPassword(passwordFile);
        try {
            this.ring = KeyRing.load(keystore, type, password);
        } finally {
            Arrays.fill(password, '\0');
        }
        logger.info("SecOC software authenticator: {} keys from {} ({}): {}", ring.keyIds().size(), keystore, type, ring.keyIds());
        this.registration = context == null ? null
            : context.registerService(Authenticator.class, this, new Hashtable<>(Map.of(Authenticator.PROVIDER, "software")));
    }

    @Deactivate
    void deactivate() {
        if (registration != null) {
            registration.unregister();
        }
        ring.destroy();
    }

    @Override
    public Set<MacAlgorithm> algorithms() {
        return ring.algorithms();
    }

    @Override
    public boolean hasKey(MacAlgorithm algorithm, String keyId) {
        return ring.hasKey(algorithm, keyId);
    }

    @Override
    public MacSession open(MacAlgorithm algorithm, String keyId) throws KeyUnavailableException {
        return ring.open(algorithm, keyId);
    }

    @Override
    public String toString() {
        return "SoftwareAuthenticator[" + ring + "]";
    }
}
