package org.carapace.protection.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.carapace.api.enforcement.GateDecision;
import org.carapace.api.enforcement.GuardException;

/**
 * Interim {@link ExecWhitelist}: walks the rootfs (not following symbolic links, not crossing into other file
 * systems) and hashes every regular file with SHA-256. Bounded in files and bytes so that a huge rootfs cannot hold
 * the OCI runtime past its hook timeout.
 */
final class RootfsWalkWhitelist implements ExecWhitelist {

    private final int maxFiles;
    private final long maxBytes;

    RootfsWalkWhitelist(int maxFiles, long maxBytes) {
        if (maxFiles <= 0 || maxBytes <= 0) {
            throw new IllegalArgumentException("maxFiles and maxBytes must be positive");
        }
        this.maxFiles = maxFiles;
        this.maxBytes = maxBytes;
    }

    @Override
    public Map<String, String> imageFiles(GateDecision decision, Path rootfs) throws GuardException {
        Map<String, String> files = new HashMap<>();
        MessageDigest sha256 = sha256();
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
        long[] total = {0};
        try {
            Object rootDevice = Files.getAttribute(rootfs, "unix:dev");
            Files.walkFileTree(rootfs, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    // another file system mounted inside the rootfs on the host is not part of the image
                    return dir.equals(rootfs) || rootDevice.equals(Files.getAttribute(dir, "unix:dev"))
                        ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    if (!attrs.isRegularFile()) {
                        return FileVisitResult.CONTINUE;
                    }
                    if (files.size() >= maxFiles) {
                        throw new LimitException("more than " + maxFiles + " files in " + rootfs);
                    }
                    total[0] += attrs.size();
                    if (total[0] > maxBytes) {
                        throw new LimitException("more than " + maxBytes + " bytes in " + rootfs);
                    }
                    files.put("/" + rootfs.relativize(file).toString(), digest(file, sha256, buffer));
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (LimitException e) {
            throw new GuardException("cannot whitelist the image: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new GuardException("cannot read the rootfs " + rootfs + ": " + e, e);
        }
        return Map.copyOf(files);
    }

    static String digest(Path file, MessageDigest sha256, ByteBuffer buffer) throws IOException {
        sha256.reset();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ,
            java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            buffer.clear();
            while (channel.read(buffer) > 0) {
                buffer.flip();
                sha256.update(buffer);
                buffer.clear();
            }
        }
        return "sha256:" + HexFormat.of().formatHex(sha256.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    private static final class LimitException extends IOException {
        private static final long serialVersionUID = 1L;

        LimitException(String message) {
            super(message);
        }
    }
}
