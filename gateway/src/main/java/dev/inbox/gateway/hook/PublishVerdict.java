package dev.inbox.gateway.hook;

/**
 * What the publish hook decided about one message.
 *
 * @param kind what happens to the message
 * @param text for {@link Kind#ADMIT}: the backend's replacement text, or {@code null} to keep the sender's; for
 *             {@link Kind#REJECT}: the reason the sender is told; otherwise why the answer was unusable (for logs)
 */
public record PublishVerdict(Kind kind, String text) {
    public enum Kind {
        /** 2xx: let it in, with {@link #text} instead of the sender's text when not null. */
        ADMIT,
        /** 4xx: refuse it; the sender is told {@link #text}. */
        REJECT,
        /** No usable answer: any other status, a timeout, unreachable, overloaded, or a malformed 2xx answer. */
        UNAVAILABLE
    }

    public static PublishVerdict admit(String replacement) {
        return new PublishVerdict(Kind.ADMIT, replacement);
    }

    public static PublishVerdict reject(String reason) {
        return new PublishVerdict(Kind.REJECT, reason);
    }

    public static PublishVerdict unavailable(String why) {
        return new PublishVerdict(Kind.UNAVAILABLE, why);
    }
}
