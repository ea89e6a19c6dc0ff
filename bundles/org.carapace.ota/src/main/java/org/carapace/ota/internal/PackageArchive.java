package org.carapace.ota.internal;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.carapace.api.io.Fields;
import org.carapace.api.ota.ArtifactMismatchException;
import org.carapace.api.ota.LimitExceededException;
import org.carapace.api.ota.OtaException;
import org.carapace.api.ota.OtaException.Reason;
import org.carapace.api.trust.MalformedDocumentException;
import org.carapace.api.trust.TrustException;
import org.carapace.api.trust.VerifiedPayload;
import org.osgi.framework.Version;

/**
 * The update package on the wire: a ZIP archive whose first member is {@link #METADATA}, a DSSE envelope over the
 * {@link PackageMetadata}, followed by one member {@code bundles/<name>.jar} per bundle the metadata lists. Nothing
 * else may be in it.
 *
 * <p>Reading is streaming and bounded: the archive's size is checked before it is opened and counted while it is
 * read; the metadata envelope is verified <em>before</em> any jar is read, so unsigned content is never unpacked;
 * each jar is hashed while it is staged and reading stops one byte past its signed length. Member names that could
 * escape a directory are refused, as are members the signed metadata does not list, members listed twice and listed
 * members that are missing. Only bytes that were hashed are ever installed (the staged files), so the ZIP format's
 * ambiguities (a central directory that disagrees with the local headers) cannot smuggle anything in.
 */
public final class PackageArchive {

    /** The first member: the metadata envelope. */
    public static final String METADATA = "metadata.json";

    /** Verifies the metadata envelope for the OTA role: {@code TrustService} in the runtime, {@code TrustVerifier} in tools. */
    @FunctionalInterface
    public interface EnvelopeVerifier {
        VerifiedPayload verify(byte[] envelopeJson) throws TrustException;
    }

    /**
     * A verified package whose jars are staged.
     *
     * @param metadata the signed metadata
     * @param payload the verified payload (signers, root version)
     * @param jars per symbolic name, the staged jar (hash and length checked)
     */
    public record Staged(PackageMetadata metadata, VerifiedPayload payload, Map<String, Path> jars) {
        public Staged {
            jars = Map.copyOf(jars);
        }
    }

    /**
     * The members of a package, names checked and sizes bounded, nothing verified (tools: sign, inspect).
     *
     * @param envelope the metadata envelope's bytes
     * @param members the jars by member name, in archive order
     */
    public record Raw(byte[] envelope, Map<String, byte[]> members) {
    }

    /** A jar's Bundle-SymbolicName (without directives) and Bundle-Version (normalised: 1.0 is 1.0.0). */
    public record Identity(String symbolicName, String version) {
    }

    private PackageArchive() {
    }

    @FunctionalInterface
    private interface MemberHandler {
        void member(String name, InputStream in) throws OtaException, IOException;
    }

    /** Thrown from inside the archive stream when it grows past the limit while being read. */
    private static final class ArchiveTooLarge extends IOException {
        private static final long serialVersionUID = 1L;
    }

    private static void walk(Path archive, PackageLimits limits, MemberHandler handler) throws OtaException, IOException {
        long size = Files.size(archive);
        if (size > limits.maxArchiveBytes()) {
            throw new LimitExceededException("archive " + archive.getFileName() + " (" + size + " bytes)", limits.maxArchiveBytes());
        }
        try (InputStream file = bounded(Files.newInputStream(archive), limits.maxArchiveBytes());
             ZipInputStream zip = new ZipInputStream(file)) {
            int members = 0;
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                String name = entry.getName();
                checkName(name);
                if (members == 0 && !METADATA.equals(name)) {
                    throw new OtaException(Reason.MALFORMED, "the first archive member must be " + METADATA + ", is " + name);
                }
                if (members > 0 && METADATA.equals(name)) {
                    throw new OtaException(Reason.UNEXPECTED_ENTRY, "archive member " + METADATA + " appears twice");
                }
                if (++members > limits.maxBundles() + 1) {
                    throw new LimitExceededException("archive members", limits.maxBundles() + 1L);
                }
                handler.member(name, zip);
            }
            if (members == 0) {
                throw new OtaException(Reason.MALFORMED, archive.getFileName() + " is not an update package (no ZIP members)");
            }
        } catch (ArchiveTooLarge e) {
            throw new LimitExceededException("archive " + archive.getFileName(), limits.maxArchiveBytes());
        } catch (ZipException e) {
            throw new OtaException(Reason.MALFORMED, archive.getFileName() + " is not a valid ZIP archive: " + e.getMessage(), e);
        }
    }

    private static InputStream bounded(InputStream in, long limit) {
        return new FilterInputStream(in) {
            private long count;

            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0 && ++count > limit) {
                    throw new ArchiveTooLarge();
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = super.read(buffer, offset, length);
                if (n > 0 && (count += n) > limit) {
                    throw new ArchiveTooLarge();
                }
                return n;
            }
        };
    }

    /** Refuses member names that could name a place outside the directory they are unpacked to, or anything unexpected. */
    static void checkName(String name) throws OtaException {
        boolean escapes = name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.indexOf('\0') >= 0
            || name.contains(":") || Arrays.asList(name.split("/", -1)).contains("..");
        String shown = name.replaceAll("[^\\x20-\\x7e]", "?");
        if (escapes) {
            throw new OtaException(Reason.PATH_TRAVERSAL, "archive member '" + Fields.abbreviate(shown)
                + "' could escape the package directory");
        }
        if (!METADATA.equals(name) && !PackageMetadata.MEMBER.matcher(name).matches()) {
            throw new OtaException(Reason.UNEXPECTED_ENTRY, "archive member '" + Fields.abbreviate(shown)
                + "' is neither " + METADATA + " nor bundles/<name>.jar");
        }
    }

    private static byte[] readAtMost(InputStream in, long limit, String what) throws IOException, LimitExceededException {
        byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, limit + 1));
        if (data.length > limit) {
            throw new LimitExceededException(what, limit);
        }
        return data;
    }

    /**
     * Reads a package, verifies its metadata and stages its jars in {@code staging} (created; the caller deletes it).
     * Binding checks (expiry, device, hardware, counters) are the caller's: see {@link PackageMetadata} and the installer.
     *
     * @throws OtaException naming the first thing that was wrong; nothing outside {@code staging} has been written
     */
    public static Staged readVerified(Path archive, PackageLimits limits, EnvelopeVerifier verifier, Path staging)
        throws OtaException, IOException {
        Files.createDirectories(staging);
        PackageMetadata[] metadata = new PackageMetadata[1];
        VerifiedPayload[] verified = new VerifiedPayload[1];
        Map<String, Path> jars = new LinkedHashMap<>();
        walk(archive, limits, (name, in) -> {
            if (METADATA.equals(name)) {
                byte[] envelope = readAtMost(in, limits.maxMetadataBytes(), METADATA);
                try {
                    verified[0] = verifier.verify(envelope);
                } catch (TrustException e) {
                    throw new OtaException(Reason.SIGNATURE, "the metadata is not signed by the OTA role: " + e.reason() + ": "
                        + e.getMessage(), e);
                }
                try {
                    metadata[0] = PackageMetadata.parse(verified[0].payload(), limits);
                } catch (MalformedDocumentException e) {
                    throw new OtaException(Reason.MALFORMED, e.getMessage(), e);
                }
                return;
            }
            PackageMetadata.BundleEntry entry = metadata[0].byFile(name).orElseThrow(() -> new OtaException(Reason.UNEXPECTED_ENTRY,
                "archive member " + name + " is not listed in the signed metadata"));
            if (jars.containsKey(entry.symbolicName())) {
                throw new OtaException(Reason.UNEXPECTED_ENTRY, "archive member " + name + " appears twice");
            }
            Path target = staging.resolve(entry.symbolicName() + ".jar");
            stage(in, entry, target);
            jars.put(entry.symbolicName(), target);
        });
        for (PackageMetadata.BundleEntry entry : metadata[0].bundles()) {
            Path jar = jars.get(entry.symbolicName());
            if (jar == null) {
                throw new OtaException(Reason.MALFORMED, "archive member " + entry.file() + " listed in the signed metadata is missing");
            }
            Identity identity;
            try (InputStream in = Files.newInputStream(jar)) {
                identity = identity(in, entry.file());
            }
            if (!identity.symbolicName().equals(entry.symbolicName())
                || !Version.parseVersion(identity.version()).equals(Version.parseVersion(entry.version()))) {
                throw new OtaException(Reason.MANIFEST_MISMATCH, entry.file() + " is " + identity.symbolicName() + " " + identity.version()
                    + " where the signed metadata says " + entry.symbolicName() + " " + entry.version());
            }
        }
        return new Staged(metadata[0], verified[0], jars);
    }

    /** Copies one jar to {@code target} while hashing it; stops one byte past the signed length. The file is fsync'ed. */
    private static void stage(InputStream in, PackageMetadata.BundleEntry entry, Path target) throws OtaException, IOException {
        MessageDigest digest = sha256();
        long count = 0;
        byte[] buffer = new byte[64 * 1024];
        try (FileChannel channel = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
             OutputStream out = Channels.newOutputStream(channel)) {
            int n;
            while ((n = in.read(buffer, 0, (int) Math.min(buffer.length, entry.length() + 1 - count))) > 0) {
                count += n;
                if (count > entry.length()) {
                    throw new ArtifactMismatchException(Reason.LENGTH_MISMATCH, entry.file(), Long.toString(entry.length()),
                        "more than " + entry.length());
                }
                digest.update(buffer, 0, n);
                out.write(buffer, 0, n);
            }
            channel.force(true);
        }
        if (count != entry.length()) {
            throw new ArtifactMismatchException(Reason.LENGTH_MISMATCH, entry.file(), Long.toString(entry.length()), Long.toString(count));
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (!MessageDigest.isEqual(actual.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
            entry.sha256().getBytes(java.nio.charset.StandardCharsets.US_ASCII))) {
            throw new ArtifactMismatchException(Reason.HASH_MISMATCH, entry.file(), entry.sha256(), actual);
        }
    }

    /** Reads a package's members without verifying anything (tools). */
    public static Raw readRaw(Path archive, PackageLimits limits) throws OtaException, IOException {
        byte[][] envelope = new byte[1][];
        Map<String, byte[]> members = new LinkedHashMap<>();
        walk(archive, limits, (name, in) -> {
            if (METADATA.equals(name)) {
                envelope[0] = readAtMost(in, limits.maxMetadataBytes(), METADATA);
            } else if (members.put(name, readAtMost(in, limits.maxBundleBytes(), name)) != null) {
                throw new OtaException(Reason.UNEXPECTED_ENTRY, "archive member " + name + " appears twice");
            }
        });
        return new Raw(envelope[0], members);
    }

    /** The archive: the metadata envelope first, then the jars in the given order. Entry times are fixed (reproducible). */
    public static byte[] write(byte[] envelope, Map<String, byte[]> members) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            put(zip, METADATA, envelope);
            for (Map.Entry<String, byte[]> member : members.entrySet()) {
                put(zip, member.getKey(), member.getValue());
            }
        } catch (IOException e) {
            throw new IllegalStateException("writing a ZIP to memory failed", e);
        }
        return bytes.toByteArray();
    }

    private static void put(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setTime(1_767_225_600_000L); // 2026-01-01T00:00:00Z
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }

    /**
     * The identity a jar's manifest declares.
     *
     * @throws OtaException ({@link Reason#MANIFEST_MISMATCH}) when it is not a bundle
     */
    public static Identity identity(InputStream jar, String what) throws OtaException, IOException {
        Manifest manifest;
        try (JarInputStream in = new JarInputStream(jar, false)) {
            manifest = in.getManifest();
        }
        Attributes main = manifest == null ? null : manifest.getMainAttributes();
        String bsn = main == null ? null : main.getValue("Bundle-SymbolicName");
        if (bsn == null) {
            throw new OtaException(Reason.MANIFEST_MISMATCH, what + " is not an OSGi bundle (no Bundle-SymbolicName in its manifest)");
        }
        String name = bsn.split(";", 2)[0].strip();
        try {
            return new Identity(name, Version.parseVersion(main.getValue("Bundle-Version")).toString());
        } catch (IllegalArgumentException e) {
            throw new OtaException(Reason.MANIFEST_MISMATCH, what + " has an invalid Bundle-Version: " + e.getMessage(), e);
        }
    }

    /** SHA-256 of a byte array as lowercase hex. */
    public static String sha256Hex(byte[] data) {
        return HexFormat.of().formatHex(sha256().digest(data));
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
