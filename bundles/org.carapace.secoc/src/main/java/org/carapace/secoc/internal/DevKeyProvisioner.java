package org.carapace.secoc.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import javax.crypto.spec.SecretKeySpec;

/**
 * Creates a PKCS#12 keystore of random keys and its password file, for the dev profile only: the tree never ships a
 * key. Both files are written mode 0600 (through a temporary file, fsync and an atomic rename) and only if the
 * keystore does not exist yet; an existing keystore is never touched.
 */
final class DevKeyProvisioner {

    private DevKeyProvisioner() {
    }

    /** One key to create: an id and a length in bytes (16 for AES-128 CMAC, 32 or more for HMAC-SHA-256). */
    record KeySpec(String keyId, int bytes) {
        KeySpec {
            if (keyId == null || !keyId.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new IllegalArgumentException("provisioned key id must match [A-Za-z0-9._-]{1,64}, was '" + keyId + "'");
            }
            if (bytes < 16 || bytes > 64) {
                throw new IllegalArgumentException("provisioned key " + keyId + " must have 16 bytes (AES-128) or up to 64 (HMAC), not "
                    + bytes);
            }
        }

        /** {@code ID} (16 bytes) or {@code ID:BYTES}. */
        static KeySpec parse(String value) {
            int colon = value.indexOf(':');
            if (colon < 0) {
                return new KeySpec(value.trim(), 16);
            }
            try {
                return new KeySpec(value.substring(0, colon).trim(), Integer.parseInt(value.substring(colon + 1).trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("provisioned key must be ID or ID:BYTES, was '" + value + "'", e);
            }
        }
    }

    /** Answers true if it created the keystore, false if one existed. */
    static boolean provisionIfMissing(Path keystore, Path passwordFile, List<KeySpec> keys, SecureRandom random)
        throws IOException, GeneralSecurityException {
        if (Files.exists(keystore)) {
            return false;
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("nothing to provision: no key ids");
        }
        Files.createDirectories(keystore.getParent());
        char[] password;
        if (Files.exists(passwordFile)) {
            password = readPassword(passwordFile);
        } else {
            byte[] raw = new byte[24];
            random.nextBytes(raw);
            password = Base64.getUrlEncoder().withoutPadding().encodeToString(raw).toCharArray();
            Arrays.fill(raw, (byte) 0);
            writePrivate(passwordFile, new String(password).getBytes(StandardCharsets.US_ASCII));
        }
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, password);
            for (KeySpec spec : keys) {
                byte[] material = new byte[spec.bytes()];
                random.nextBytes(material);
                String algorithm = spec.bytes() == 16 ? "AES" : "HmacSHA256";
                store.setEntry(spec.keyId(), new KeyStore.SecretKeyEntry(new SecretKeySpec(material, algorithm)),
                    new KeyStore.PasswordProtection(password));
                Arrays.fill(material, (byte) 0);
            }
            Path temporary = keystore.resolveSibling(keystore.getFileName() + ".tmp");
            Files.deleteIfExists(temporary);
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (OutputStream out = Files.newOutputStream(temporary, StandardOpenOption.WRITE)) {
                store.store(out, password);
            }
            fsync(temporary);
            Files.move(temporary, keystore, StandardCopyOption.ATOMIC_MOVE);
            fsyncDirectory(keystore.getParent());
            return true;
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    /** Reads a password file: its first line, trimmed. */
    static char[] readPassword(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            String text = new String(bytes, StandardCharsets.UTF_8);
            int end = text.indexOf('\n');
            return (end < 0 ? text : text.substring(0, end)).trim().toCharArray();
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    private static void writePrivate(Path file, byte[] content) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(temporary, content, StandardOpenOption.WRITE);
        Arrays.fill(content, (byte) 0);
        fsync(temporary);
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
        fsyncDirectory(file.getParent());
    }

    static void fsync(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    static void fsyncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
