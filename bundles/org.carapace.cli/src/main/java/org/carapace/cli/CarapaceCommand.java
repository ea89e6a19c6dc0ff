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
    // one subcommand per line, each with its comma: branches that add commands merge without conflicts
    subcommands = {
        VersionCommand.class,
        StatusCommand.class,
        org.carapace.cli.secoc.SecOcCommand.class,
        org.carapace.cli.policy.KeysCommand.class,
        org.carapace.cli.policy.TrustCommand.class,
        org.carapace.cli.policy.PolicyCommand.class,
        org.carapace.cli.image.ImageCommand.class,
        org.carapace.cli.gate.GateCommand.class,
        org.carapace.cli.events.EventsCommand.class,
        org.carapace.cli.dashboard.DashboardCommand.class,
        ProtectionCommand.class,
        org.carapace.cli.ota.OtaCommand.class,
    })
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
