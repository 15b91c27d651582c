package dev.inbox.gateway.config;

/** An invalid or contradictory setting; its message is the one line printed before exiting with code 2. */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message, null, false, false);
    }
}
