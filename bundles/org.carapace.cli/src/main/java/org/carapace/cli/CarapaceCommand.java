package org.carapace.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The top-level {@code carapace} command: its subcommands do the work. */
@Command(name = "carapace", mixinStandardHelpOptions = true, versionProvider = CarapaceCommand.Version.class,
    description = {"Carapace: container image integrity, signed policies and authenticated messaging for vehicles.",
        "",
        "Exit codes: 0 success, 1 a check failed (verification failed, image refused, signature bad),",
        "2 bad usage, unreadable input or runtime unreachable.",
        "Image sources: oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:REF], dir:ROOTFS, bundle:OCI_BUNDLE_DIR."},
    subcommands = {VersionCommand.class, StatusCommand.class, ProtectionCommand.class})
public final class CarapaceCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing a command; see 'carapace --help'");
    }

    static final class Version implements picocli.CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws Exception {
            return new String[] {"carapace " + VersionCommand.classPathBundles().getOrDefault("org.carapace.cli", "unknown")};
        }
    }
}
