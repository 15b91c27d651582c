package dev.inbox.gateway.admin;

import io.netty.handler.codec.http.HttpResponseStatus;

/** A refused admin request: the HTTP status, a stable error code and a message naming what is wrong. */
final class AdminException extends Exception {
    private static final long serialVersionUID = 1L;

    private final transient HttpResponseStatus status;
    private final String code;

    AdminException(HttpResponseStatus status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    HttpResponseStatus status() {
        return status;
    }

    String code() {
        return code;
    }
}
