package dev.inbox.gateway.routing;

import dev.inbox.protocol.ErrorCode;

/** Why a message was not delivered to anyone, with the code its sender is told. */
public final class RoutingException extends Exception {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public RoutingException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
