package dev.inbox.gateway.metrics;

/** How one call to a backend hook ended, as {@code inbox_hook_calls_total} labels it. */
public enum HookOutcome {
    /** A 2xx answer the gateway could read. */
    OK("ok"),
    /** A 4xx answer: the backend said no. */
    REFUSED("refused"),
    /** Any other status: the backend failed. */
    FAILED("failed"),
    /** No answer within {@code --hook-timeout}. */
    TIMEOUT("timeout"),
    /** The connection could not be made or broke before the answer. */
    UNREACHABLE("unreachable"),
    /** Not sent: {@code --hook-max-in-flight} calls were already waiting. */
    OVERLOADED("overloaded"),
    /** An answer the gateway cannot use: a body over the bound, not JSON, a field of the wrong type. */
    MALFORMED("malformed");

    private final String label;

    HookOutcome(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
