package org.carapace.api.monitoring;

import java.nio.file.Path;

/** An event key file cannot be used: missing, unreadable, readable by others, or not a key file. */
public class EventKeyFileException extends EventException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;

    public EventKeyFileException(Path path, String message) {
        super(path + ": " + message);
        this.path = path;
    }

    public EventKeyFileException(Path path, String message, Throwable cause) {
        super(path + ": " + message, cause);
        this.path = path;
    }

    /** The key file. */
    public Path path() {
        return path;
    }
}
