package dev.inbox.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The meters of typing and read receipts (docs/operations.md, metrics): frames received, events forwarded, typing
 * dropped by reason, READ outcomes and READ events coalesced. Created once with the node's registry; each call is a
 * lock-free increment. Thread-safe.
 */
public final class EventMeters {
    /** What a typing or read-receipt frame was. */
    public enum Received {
        TYPING,
        READ,
        READS,
        UNREAD
    }

    /** Why a TYPING was not forwarded (no error is sent for any of these). */
    public enum TypingDrop {
        COALESCED,
        RATE_LIMITED,
        SHED,
        UNWRITABLE
    }

    /** What a READ did. */
    public enum ReadOutcome {
        MOVED,
        BEHIND,
        BEYOND,
        NOT_A_MEMBER,
        FAILED
    }

    private final Counter[] received = new Counter[Received.values().length];
    private final Counter forwardedTyping;
    private final Counter forwardedRead;
    private final Counter readCoalesced;
    private final Counter[] typingDropped = new Counter[TypingDrop.values().length];
    private final Counter[] reads = new Counter[ReadOutcome.values().length];

    EventMeters(MeterRegistry registry) {
        for (Received r : Received.values()) {
            received[r.ordinal()] = counter(registry, InboxMeters.EVENTS_RECEIVED, label(r));
        }
        forwardedTyping = counter(registry, InboxMeters.EVENTS_FORWARDED, "typing");
        forwardedRead = counter(registry, InboxMeters.EVENTS_FORWARDED, "read");
        readCoalesced = Counter.builder(InboxMeters.READ_EVENTS_COALESCED.meterName())
                .description(InboxMeters.READ_EVENTS_COALESCED.description())
                .register(registry);
        for (TypingDrop d : TypingDrop.values()) {
            typingDropped[d.ordinal()] = counter(registry, InboxMeters.TYPING_DROPPED, label(d));
        }
        for (ReadOutcome o : ReadOutcome.values()) {
            reads[o.ordinal()] = counter(registry, InboxMeters.READ_POSITIONS, label(o));
        }
    }

    private static String label(Enum<?> e) {
        return e.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static Counter counter(MeterRegistry registry, InboxMeters meter, String value) {
        return Counter.builder(meter.meterName())
                .description(meter.description())
                .tag(meter.label(), value)
                .register(registry);
    }

    public void received(Received what) {
        received[what.ordinal()].increment();
    }

    /** A TYPING event went on to the members. */
    public void typingForwarded() {
        forwardedTyping.increment();
    }

    /** A READ event went on to the members. */
    public void readForwarded() {
        forwardedRead.increment();
    }

    /** A moved position's READ event was not sent: a newer one of the same reader and conversation went instead. */
    public void readCoalesced() {
        readCoalesced.increment();
    }

    public void typingDropped(TypingDrop why) {
        typingDropped[why.ordinal()].increment();
    }

    public void read(ReadOutcome outcome) {
        reads[outcome.ordinal()].increment();
    }
}
