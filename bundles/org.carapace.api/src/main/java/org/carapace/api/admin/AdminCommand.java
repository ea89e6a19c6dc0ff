package org.carapace.api.admin;

import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * A command served on the runtime's administration socket (whiteboard service).
 *
 * <p>Register an implementation with the service property {@link #COMMAND_NAME} set to the command's name,
 * for example {@code policy.status}. Requests and answers are JSON objects on the wire; here they are maps whose
 * values are {@code String}, {@code Number}, {@code Boolean}, {@code List}, {@code Map} or {@code null}.
 *
 * <p>The caller has already been authenticated by the socket's peer credentials. Implementations must be
 * thread-safe: several clients may call at once.
 */
@ConsumerType
public interface AdminCommand {

    /** Service property: the command name clients use. Must be unique within a runtime. */
    String COMMAND_NAME = "carapace.admin.command";

    /** Service property: one line describing the command, shown by {@code carapace status --commands}. */
    String COMMAND_DESCRIPTION = "carapace.admin.description";

    /**
     * Executes the command.
     *
     * @param arguments the request's {@code arguments} object, never {@code null}
     * @return the answer's {@code result} object, never {@code null}
     * @throws AdminException when the request cannot be carried out; its code and message reach the client
     */
    Map<String, Object> execute(Map<String, Object> arguments) throws AdminException;
}
