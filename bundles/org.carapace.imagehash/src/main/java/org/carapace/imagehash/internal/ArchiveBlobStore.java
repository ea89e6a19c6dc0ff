package org.carapace.imagehash.internal;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import org.carapace.api.image.ImageException;
import org.carapace.api.image.ImageFormatException;
import org.carapace.api.image.ImageLimitException;
import org.carapace.api.image.ImageReadException;

/**
 * The members of an uncompressed tar archive (oci-archive, docker-archive), indexed once by scanning the headers
 * (content is skipped, not read) and then read in place by offset. Symbolic and hard links between members (the
 * legacy docker-archive layout links {@code <id>/layer.tar} to {@code ../<digest>.tar}) are followed within the
 * archive only.
 */
final class ArchiveBlobStore implements BlobStore {

    private record Member(long offset, long size) {
    }

    private final FileChannel channel;
    private final long fileSize;
    private final Map<String, Member> members = new HashMap<>();
    private final Map<String, String> links = new HashMap<>();

    private ArchiveBlobStore(FileChannel channel) throws IOException {
        this.channel = channel;
        this.fileSize = channel.size();
    }

    static ArchiveBlobStore open(Path archive, ImageLimits limits) throws ImageException {
        FileChannel channel;
        try {
            channel = FileChannel.open(archive, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new ImageReadException(archive.toString(), e);
        }
        try {
            ArchiveBlobStore store = new ArchiveBlobStore(channel);
            store.scan(archive.toString(), limits);
            return store;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new ImageReadException(archive.toString(), e);
        } catch (ImageException | RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // already failing
        }
    }

    private void scan(String location, ImageLimits limits) throws IOException, ImageException {
        InputStream in = new BufferedInputStream(new RegionInputStream(channel, 0, fileSize, false), 1 << 16);
        if (Compression.sniff((BufferedInputStream) in) != Compression.NONE) {
            throw new ImageFormatException(location, "compressed archives are not supported: decompress it first");
        }
        TarReader reader = new TarReader(in, location, limits);
        TarEntry entry;
        int count = 0;
        while ((entry = reader.next()) != null) {
            if (++count > limits.maxEntries()) {
                throw new ImageLimitException("maxEntries", limits.maxEntries(), count, location);
            }
            String name = normalise(entry.name());
            if (entry.isRegular()) {
                long offset = reader.position();
                if (offset + entry.size() > fileSize) {
                    throw new org.carapace.api.image.TruncatedArchiveException(location, fileSize,
                        "member '" + entry.name() + "' extends past the end of the archive");
                }
                members.put(name, new Member(offset, entry.size()));
            } else if (entry.type() == '2') {
                String parent = name.contains("/") ? name.substring(0, name.lastIndexOf('/') + 1) : "";
                links.put(name, normalise(entry.linkName().startsWith("/") ? entry.linkName() : parent + entry.linkName()));
            } else if (entry.type() == '1') {
                links.put(name, normalise(entry.linkName()));
            }
        }
    }

    /** Lexically normalised member name: no leading {@code ./} or {@code /}, {@code ..} folded. */
    static String normalise(String name) {
        java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
        for (String part : name.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                parts.pollLast();
            } else {
                parts.addLast(part);
            }
        }
        return String.join("/", parts);
    }

    private Member find(String path) {
        String name = normalise(path);
        for (int hops = 0; hops < 16; hops++) {
            Member member = members.get(name);
            if (member != null) {
                return member;
            }
            String target = links.get(name);
            if (target == null) {
                return null;
            }
            name = target;
        }
        return null;
    }

    @Override
    public long size(String path) {
        Member member = find(path);
        return member == null ? -1 : member.size;
    }

    @Override
    public InputStream open(String path) throws IOException {
        Member member = find(path);
        if (member == null) {
            throw new NoSuchFileException(path);
        }
        return new RegionInputStream(channel, member.offset, member.size, false);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
