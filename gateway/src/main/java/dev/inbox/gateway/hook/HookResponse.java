package dev.inbox.gateway.hook;

/**
 * A hook's answer: its status and its body, read whole (never more than {@link HookClient#MAX_RESPONSE_BYTES}).
 */
public record HookResponse(int status, byte[] body) {
    public boolean ok() {
        return status >= 200 && status < 300;
    }

    public boolean refused() {
        return status >= 400 && status < 500;
    }
}
