package dev.inbox.gateway.auth;

/** Why a handshake was refused with 401; the message goes back to the client, so it never echoes the token. */
public final class AuthenticationException extends Exception {
    private static final long serialVersionUID = 1L;

    public AuthenticationException(String message) {
        super(message, null, false, false);
    }
}
