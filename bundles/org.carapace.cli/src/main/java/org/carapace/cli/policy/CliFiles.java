package org.carapace.cli.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.carapace.api.io.AtomicFiles;
import org.carapace.api.trust.DocumentTooLargeException;
import org.carapace.api.trust.KeyId;
import org.carapace.api.trust.TrustException;
import org.carapace.api.trust.TrustedKey;
import org.carapace.cli.CliException;
import org.carapace.cli.RuntimeConnection;
import org.carapace.policy.internal.PublicKeys;
import org.carapace.policy.internal.SigningKey;

/** File handling shared by the key, trust and policy commands: every failure is a CliException with its exit code. */
public final class CliFiles {

    /** Largest file the commands read (envelopes, documents, keys). */
    static final long MAX_FILE = 64L << 20;

    private CliFiles() {
    }

    public static byte[] read(Path file, String what) throws CliException {
        try {
            return AtomicFiles.read(file, MAX_FILE, what);
        } catch (NoSuchFileException e) {
            throw CliException.usage("no " + what + " at " + file);
        } catch (DocumentTooLargeException e) {
            throw CliException.usage(what + " " + file + " is larger than " + MAX_FILE + " bytes");
        } catch (IOException e) {
            throw CliException.usage("cannot read " + what + " " + file + ": " + e.getMessage());
        }
    }

    /** Writes a file atomically (mode 0600); refuses to replace an existing one unless {@code force}. */
    public static void write(Path file, byte[] data, boolean force, String what) throws CliException {
        if (!force && Files.exists(file)) {
            throw CliException.usage(what + " " + file + " exists; use --force to replace it");
        }
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (!Files.isDirectory(parent)) {
                Files.createDirectories(parent);
            }
            AtomicFiles.write(file.toAbsolutePath(), data);
        } catch (IOException e) {
            throw CliException.usage("cannot write " + what + " " + file + ": " + e.getMessage());
        }
    }

    /** Makes a written file world-readable (public keys, signed documents are not secrets). */
    public static void shareable(Path file) throws CliException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException e) {
            throw CliException.usage("cannot set the mode of " + file + ": " + e.getMessage());
        }
    }

    public static SigningKey privateKey(Path file) throws CliException {
        try {
            return SigningKey.fromPem(new String(read(file, "private key"), StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw CliException.usage("private key " + file + ": " + e.getMessage());
        }
    }

    /**
     * Reads signing keys; a key given twice, or one whose id is in {@code signed} already, is a usage error (it would
     * count once towards a threshold). Every key read is added to {@code signed}.
     */
    public static List<SigningKey> signingKeys(List<Path> files, Set<KeyId> signed) throws CliException {
        List<SigningKey> signers = new ArrayList<>();
        for (Path file : files) {
            SigningKey signer = privateKey(file);
            if (!signed.add(signer.keyId())) {
                throw CliException.usage("key " + signer.keyId().shortForm()
                    + " is given twice or has signed already; it would count once");
            }
            signers.add(signer);
        }
        return signers;
    }

    /** A public key from a PUBLIC KEY file, or derived from a PRIVATE KEY file. */
    static TrustedKey publicKey(Path file) throws CliException {
        String pem = new String(read(file, "key"), StandardCharsets.US_ASCII);
        try {
            return pem.contains("PRIVATE KEY") ? SigningKey.fromPem(pem).publicKey() : PublicKeys.fromPem(pem);
        } catch (IllegalArgumentException e) {
            throw CliException.usage("key " + file + ": " + e.getMessage());
        }
    }

    /** An RFC 3339 UTC time, or a time from now: {@code +30d}, {@code +12h}, {@code +90m}. */
    public static Instant time(String text, Instant now) throws CliException {
        try {
            if (text.startsWith("+") && text.length() > 2) {
                long amount = Long.parseLong(text.substring(1, text.length() - 1));
                return switch (text.charAt(text.length() - 1)) {
                    case 'd' -> now.plus(Duration.ofDays(amount));
                    case 'h' -> now.plus(Duration.ofHours(amount));
                    case 'm' -> now.plus(Duration.ofMinutes(amount));
                    default -> throw CliException.usage("a relative time ends in d, h or m: " + text);
                };
            }
            return Instant.parse(text);
        } catch (NumberFormatException | DateTimeParseException e) {
            throw CliException.usage("not a time: '" + text + "' (use 2027-01-31T00:00:00Z or +30d)");
        }
    }

    /** Splits {@code NAME=VALUE}. */
    static String[] pair(String text, String option) throws CliException {
        int eq = text.indexOf('=');
        if (eq <= 0 || eq == text.length() - 1) {
            throw CliException.usage(option + " takes NAME=VALUE, was '" + text + "'");
        }
        return new String[] {text.substring(0, eq), text.substring(eq + 1)};
    }

    /** A refusal by a verification: exit code 1 with the reason. */
    public static CliException refused(TrustException e) {
        return CliException.checkFailed("refused (" + e.reason() + "): " + e.getMessage());
    }

    /** Sends a signed file to the running runtime's admin command. */
    static Map<String, Object> send(RuntimeConnection runtime, String command, Path file, String what) throws CliException {
        byte[] bytes = read(file, what);
        return runtime.call(command, Map.of("envelope", Base64.getEncoder().encodeToString(bytes)));
    }
}
