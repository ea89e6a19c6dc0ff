package org.carapace.cli.events;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.carapace.api.monitoring.EventKeyFile;
import org.carapace.api.monitoring.EventKeyFileException;
import org.carapace.api.monitoring.HmacEventKeys;
import org.carapace.api.monitoring.MonitoringTopics;
import org.carapace.cli.CliException;
import org.carapace.cli.Output;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code carapace events keygen}: fleet master keys and the device keys they derive, for provisioning. */
@Command(name = "keygen", mixinStandardHelpOptions = true,
    description = {"Make event-authentication keys (mode 0600, never overwritten):",
        "  --master --out FILE                      a new random fleet master key (back end only)",
        "  --device ID --from-master FILE --out F   the device key the master derives (provision it into the device)",
        "  --device ID --out FILE                   a new random key for one device (the back end then needs this file)"})
final class KeygenCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    Output output;

    static final class Kind {
        @Option(names = "--master", required = true, description = "Make a fleet master key.")
        boolean master;

        @Option(names = "--device", required = true, paramLabel = "ID", description = "Make the key of device ID.")
        String device;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Kind kind;

    @Option(names = "--from-master", paramLabel = "FILE", description = "Derive the device key from this master key file.")
    Path fromMaster;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the key.")
    Path out;

    @Override
    public Integer call() throws Exception {
        EventKeyFile key;
        if (kind.master) {
            if (fromMaster != null) {
                throw CliException.usage("--from-master goes with --device");
            }
            key = EventKeyFile.generateMasterKey();
        } else {
            if (!MonitoringTopics.isName(kind.device)) {
                throw CliException.usage("--device must be a device id, was '" + kind.device + "'");
            }
            if (fromMaster == null) {
                key = EventKeyFile.generateDeviceKey(kind.device, false);
            } else {
                EventKeyFile master;
                try {
                    master = EventKeyFile.read(fromMaster);
                } catch (EventKeyFileException e) {
                    throw CliException.usage("--from-master: " + e.getMessage());
                }
                if (master.kind() != EventKeyFile.Kind.MASTER) {
                    throw CliException.usage("--from-master " + fromMaster + " is not a master key");
                }
                key = new EventKeyFile(EventKeyFile.Kind.DEVICE, kind.device, HmacEventKeys.deriveDeviceKey(master.key(),
                    kind.device), false);
            }
        }
        try {
            key.write(out.toAbsolutePath());
        } catch (FileAlreadyExistsException e) {
            throw CliException.usage(out + " exists; keys are never overwritten");
        } catch (IOException e) {
            throw CliException.usage("cannot write " + out + ": " + e.getMessage());
        }
        PrintWriter writer = spec.commandLine().getOut();
        if (output.json()) {
            Output.printJson(writer, Map.of("file", out.toString(), "keyId", key.keyId(), "kind",
                key.kind().name().toLowerCase(java.util.Locale.ROOT)));
        } else {
            writer.printf("wrote %s key %s to %s%n", key.kind().name().toLowerCase(java.util.Locale.ROOT), key.keyId(), out);
            writer.flush();
        }
        return 0;
    }
}
