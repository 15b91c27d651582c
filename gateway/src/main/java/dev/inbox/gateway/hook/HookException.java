package dev.inbox.gateway.hook;

import dev.inbox.gateway.metrics.HookOutcome;

/** A hook call that got no usable answer: timed out, unreachable, overloaded, or answered something unreadable. */
public final class HookException extends Exception {
    private final HookOutcome outcome;

    public HookException(HookOutcome outcome, String message) {
        super(message, null, false, false);
        this.outcome = outcome;
    }

    public HookOutcome outcome() {
        return outcome;
    }
}
