package org.carapace.api.platform;

import java.io.IOException;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A local service reachable on a Unix domain socket in the platform's run directory (whiteboard service).
 *
 * <p>Register an implementation with {@link #SOCKET_NAME} set to the socket's file name. The platform owns the
 * socket: it creates it with mode 0600 in the 0700 run directory, refuses peers that are neither root nor the
 * runtime's own user ({@code SO_PEERCRED}), bounds the number of connections served at once, and closes every
 * connection when {@link #serve} returns or when {@link #MAX_CONNECTION_MILLIS} has passed.
 *
 * <p>The listening socket outlives a replacement of the endpoint: when the service goes away the platform keeps
 * accepting for a hand-over period, and connections that arrive meanwhile wait for the next endpoint of the same
 * name (for example a new version of the bundle being installed) or are closed unanswered when the period ends.
 * Clients therefore never see "no such socket" during an update, and a closed connection without an answer is the
 * only failure they must treat as a refusal.
 *
 * <p>Implementations must be thread-safe: connections are served concurrently.
 */
@ConsumerType
public interface SocketEndpoint {

    /** Service property (String): the socket's file name in the run directory, e.g. {@code gate.sock}. */
    String SOCKET_NAME = "carapace.socket.name";

    /** Service property (Long, optional): the platform closes a connection after this long; default 30000. */
    String MAX_CONNECTION_MILLIS = "carapace.socket.maxConnectionMillis";

    /**
     * Serves one accepted, authenticated connection. The platform closes it afterwards.
     *
     * @throws IOException when the connection fails; logged at debug level, the endpoint keeps being used
     */
    void serve(LocalConnection connection) throws IOException;
}
