package org.carapace.imagehash.internal;

import io.airlift.compress.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * Layer compression, recognised by the data's magic bytes rather than by the media type: image tools do not
 * always label layers truthfully (skopeo 1.9 labels uncompressed docker-archive layers {@code tar+gzip} when it
 * copies them to an OCI layout), and the blob digest, not the label, is what is verified. Gzip (RFC 1952) is read
 * by the JDK; zstd (RFC 8878) by aircompressor's pure-Java decoder; anything else is read as plain tar.
 */
enum Compression {
    NONE, GZIP, ZSTD;

    private static final int BUFFER = 1 << 16;

    /** Recognises the compression of a stream and returns a stream of its decompressed bytes. */
    static InputStream decompress(InputStream raw) throws IOException {
        BufferedInputStream in = raw instanceof BufferedInputStream b ? b : new BufferedInputStream(raw, BUFFER);
        return switch (sniff(in)) {
            case GZIP -> new GZIPInputStream(in, BUFFER);
            case ZSTD -> new ZstdInputStream(in);
            case NONE -> in;
        };
    }

    /** Looks at the first bytes without consuming them. */
    static Compression sniff(BufferedInputStream in) throws IOException {
        in.mark(4);
        byte[] magic = new byte[4];
        int n = in.readNBytes(magic, 0, 4);
        in.reset();
        if (n >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            return GZIP;
        }
        if (n == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5 && (magic[2] & 0xff) == 0x2f
            && (magic[3] & 0xff) == 0xfd) {
            return ZSTD;
        }
        return NONE;
    }
}
