package org.carapace.imagehash.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Reads a region of a file with positional reads, so several streams may share one channel. */
final class RegionInputStream extends InputStream {

    private final FileChannel channel;
    private final boolean ownsChannel;
    private long position;
    private final long end;

    RegionInputStream(FileChannel channel, long offset, long length, boolean ownsChannel) {
        this.channel = channel;
        this.position = offset;
        this.end = offset + length;
        this.ownsChannel = ownsChannel;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (position >= end) {
            return -1;
        }
        int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - position)), position);
        if (n < 0) {
            return -1; // the file is shorter than the region: the reader sees a truncated stream
        }
        position += n;
        return n;
    }

    @Override
    public long skip(long n) {
        long skipped = Math.max(0, Math.min(n, end - position));
        position += skipped;
        return skipped;
    }

    @Override
    public int available() {
        return (int) Math.min(Integer.MAX_VALUE, end - position);
    }

    @Override
    public void close() throws IOException {
        if (ownsChannel) {
            channel.close();
        }
    }
}
