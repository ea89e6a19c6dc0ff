package org.carapace.cli.image;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code carapace image}: digests, blob verification and differences of container images. */
@Command(name = "image", mixinStandardHelpOptions = true,
    description = {"Canonical digests of container images as stored on the device (docs/rootfs-digest.md).",
        "SOURCE: oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:REF], dir:ROOTFS, bundle:OCI_BUNDLE_DIR."},
    subcommands = {ImageDigestCommand.class, ImageVerifyCommand.class, ImageDiffCommand.class})
public final class ImageCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing a command: digest, verify or diff; see 'carapace image --help'");
    }
}
