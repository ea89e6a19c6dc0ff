/**
 * The runtime's local administration interface.
 *
 * <p>The platform bundle serves a Unix domain socket that only the runtime's own user (normally root) can use.
 * Each bundle contributes commands by registering {@link org.carapace.api.admin.AdminCommand} services
 * (whiteboard). The CLI ({@code carapace status}, {@code carapace policy install}, ...) is the usual client.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.carapace.api.admin;
