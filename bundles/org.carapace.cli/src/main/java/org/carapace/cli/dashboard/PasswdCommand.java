package org.carapace.cli.dashboard;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.carapace.cli.CliException;
import org.carapace.dashboard.internal.Users;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code carapace dashboard passwd}: adds a user to a users file or changes a user's password. */
@Command(name = "passwd", mixinStandardHelpOptions = true,
    description = {"Add a dashboard user or change a password in a users file (salted PBKDF2-HMAC-SHA-256 hashes, mode 0600).",
        "The password is read from the terminal, or from the first line of standard input when there is none."})
final class PasswdCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--users", required = true, paramLabel = "FILE", description = "The users file (created if missing).")
    Path usersFile;

    @Option(names = "--user", required = true, paramLabel = "NAME", description = "User name, [A-Za-z0-9._-]{1,64}.")
    String user;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "600000",
        description = "PBKDF2 iterations (default ${DEFAULT-VALUE}).")
    int iterations;

    @Override
    public Integer call() throws Exception {
        if (!Users.isName(user)) {
            throw CliException.usage("--user must be [A-Za-z0-9._-]{1,64}, was '" + user + "'");
        }
        if (iterations < 100_000) {
            throw CliException.usage("--iterations must be at least 100000");
        }
        char[] password = readPassword();
        if (password.length < 12) {
            throw CliException.usage("the password must have at least 12 characters");
        }
        String line;
        try {
            line = Users.line(user, password, iterations);
        } finally {
            Arrays.fill(password, '\0');
        }
        List<String> lines = new ArrayList<>();
        if (Files.exists(usersFile)) {
            for (String l : Files.readAllLines(usersFile, StandardCharsets.UTF_8)) {
                if (!l.startsWith(user + ":")) {
                    lines.add(l);
                }
            }
        } else {
            lines.add("# carapace dashboard users: name:pbkdf2-sha256:iterations:salt:hash");
        }
        lines.add(line);
        Path temp = usersFile.toAbsolutePath().resolveSibling(usersFile.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(temp, lines, StandardCharsets.UTF_8);
        Files.move(temp, usersFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        spec.commandLine().getOut().println("carapace dashboard: user " + user + " written to " + usersFile);
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static char[] readPassword() throws IOException, CliException {
        Console console = System.console();
        if (console != null) {
            char[] first = console.readPassword("password: ");
            char[] second = console.readPassword("again: ");
            if (first == null || !Arrays.equals(first, second)) {
                throw CliException.usage("the passwords differ");
            }
            Arrays.fill(second, '\0');
            return first;
        }
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (line == null) {
            throw CliException.usage("no password on standard input");
        }
        return line.toCharArray();
    }
}
