package org.carapace.dashboard.internal;

import java.net.InetSocketAddress;
import javax.net.ssl.SSLContext;

/**
 * How the dashboard's HTTP server runs.
 *
 * @param listen the address to bind
 * @param users the users who may log in; {@code null} only on a loopback address (one local user, no login)
 * @param tls the TLS context for HTTPS, or {@code null} for plain HTTP
 * @param sessionTtlMs a login session's lifetime
 * @param limits the request limits
 */
public record DashboardConfig(InetSocketAddress listen, Users users, SSLContext tls, long sessionTtlMs, Limits limits) {

    /** The user name of the single local user on a loopback address without login. */
    public static final String LOCAL_USER = "local";

    /**
     * @throws DashboardException if the address is not loopback and no users are configured
     */
    public DashboardConfig validate() throws DashboardException {
        if (listen.isUnresolved()) {
            throw new DashboardException("cannot resolve the listen address " + listen.getHostString());
        }
        if (users == null && !listen.getAddress().isLoopbackAddress()) {
            throw new DashboardException("refusing to listen on " + listen.getAddress().getHostAddress()
                + " without login: give a users file (--users), or listen on a loopback address");
        }
        if (sessionTtlMs < 60_000) {
            throw new DashboardException("the session lifetime must be at least a minute");
        }
        return this;
    }
}
