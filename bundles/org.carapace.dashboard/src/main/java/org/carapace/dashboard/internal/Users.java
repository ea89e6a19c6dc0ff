package org.carapace.dashboard.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * The dashboard's users: a text file of salted PBKDF2-HMAC-SHA-256 hashes (NIST SP 800-132; OWASP's 2023 guidance
 * of 600,000 iterations is the default), one user a line: {@code name:pbkdf2-sha256:ITERATIONS:SALT:HASH} with
 * standard base64 salt (16 bytes) and hash (32 bytes). Lines starting with {@code #} are comments. The file holds no
 * password, only hashes; it is still kept private (mode 0600 by {@code carapace dashboard passwd}).
 */
public final class Users {

    public static final String SCHEME = "pbkdf2-sha256";
    public static final int DEFAULT_ITERATIONS = 600_000;
    static final int MIN_ITERATIONS = 10_000;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private record Entry(int iterations, byte[] salt, byte[] hash) {
    }

    private final Map<String, Entry> entries;
    private final Entry decoy;

    private Users(Map<String, Entry> entries) {
        this.entries = entries;
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        this.decoy = new Entry(entries.values().stream().findFirst().map(Entry::iterations).orElse(DEFAULT_ITERATIONS), salt, new byte[32]);
    }

    /** Whether a name is a valid user name. */
    public static boolean isName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /**
     * Reads a users file.
     *
     * @throws DashboardException if it cannot be read, a line is malformed, or it names no user
     */
    public static Users read(Path file) throws DashboardException {
        Map<String, Entry> entries = new LinkedHashMap<>();
        try {
            int n = 0;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                n++;
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.strip().split(":", -1);
                if (f.length != 5 || !isName(f[0]) || !SCHEME.equals(f[1])) {
                    throw new DashboardException("users file " + file + " line " + n + ": not name:" + SCHEME + ":ITERATIONS:SALT:HASH");
                }
                int iterations;
                byte[] salt;
                byte[] hash;
                try {
                    iterations = Integer.parseInt(f[2]);
                    salt = Base64.getDecoder().decode(f[3]);
                    hash = Base64.getDecoder().decode(f[4]);
                } catch (IllegalArgumentException e) {
                    throw new DashboardException("users file " + file + " line " + n + ": " + e.getMessage());
                }
                if (iterations < MIN_ITERATIONS || salt.length < 16 || hash.length != 32) {
                    throw new DashboardException("users file " + file + " line " + n + ": at least " + MIN_ITERATIONS
                        + " iterations, a 16-byte salt and a 32-byte hash are required");
                }
                if (entries.put(f[0], new Entry(iterations, salt, hash)) != null) {
                    throw new DashboardException("users file " + file + " line " + n + ": user " + f[0] + " appears twice");
                }
            }
        } catch (IOException e) {
            throw new DashboardException("cannot read the users file " + file + ": " + e.getMessage(), e);
        }
        if (entries.isEmpty()) {
            throw new DashboardException("the users file " + file + " names no user");
        }
        return new Users(entries);
    }

    /** A users-file line for a new password. */
    public static String line(String name, char[] password, int iterations) {
        if (!isName(name)) {
            throw new IllegalArgumentException("a user name is [A-Za-z0-9._-]{1,64}, was '" + name + "'");
        }
        if (iterations < MIN_ITERATIONS) {
            throw new IllegalArgumentException("at least " + MIN_ITERATIONS + " iterations");
        }
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        byte[] hash = hash(password, salt, iterations);
        return name + ":" + SCHEME + ":" + iterations + ":" + Base64.getEncoder().encodeToString(salt) + ":"
            + Base64.getEncoder().encodeToString(hash);
    }

    /**
     * Checks a password; an unknown user costs the same work as a known one, so timing does not reveal names.
     *
     * @return the user's name when the password is right
     */
    public Optional<String> authenticate(String name, char[] password) {
        Entry entry = isName(name) ? entries.get(name) : null;
        Entry against = entry != null ? entry : decoy;
        byte[] hash = hash(password, against.salt(), against.iterations());
        boolean ok = MessageDigest.isEqual(hash, against.hash()) && entry != null;
        Arrays.fill(hash, (byte) 0);
        return ok ? Optional.of(name) : Optional.empty();
    }

    static byte[] hash(char[] password, byte[] salt, int iterations) {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, 256);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JDK", e);
        } finally {
            spec.clearPassword();
        }
    }
}
