package org.carapace.api.platform;

import java.io.IOException;
import org.osgi.annotation.versioning.ProviderType;

/**
 * One accepted connection on a {@link SocketEndpoint}'s socket, already checked against the peer's credentials.
 * Reads are bounded in size; the platform enforces the connection's time limit by closing it. Not thread-safe: one
 * connection is served by one thread.
 */
@ProviderType
public interface LocalConnection {

    /** The peer's user name from {@code SO_PEERCRED}. */
    String peerUser();

    /**
     * Reads up to and excluding the first newline.
     *
     * @throws IOException when the peer closes first, the line exceeds {@code maxBytes}, or the time limit passed
     */
    byte[] readLine(int maxBytes) throws IOException;

    /**
     * Reads until the peer half-closes its side.
     *
     * @throws IOException when more than {@code maxBytes} arrive or the time limit passed
     */
    byte[] readToEnd(int maxBytes) throws IOException;

    /** Writes all bytes. */
    void write(byte[] bytes) throws IOException;
}
