package dev.inbox.gateway.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ResumeSlotsTest {
    private static final long WAIT = TimeUnit.SECONDS.toNanos(5);

    private long now;
    private final List<String> events = new ArrayList<>();
    private final ResumeSlots slots = new ResumeSlots(2, 2, WAIT, () -> now);

    private void ask(String who) {
        slots.acquire(() -> events.add(who + " runs"), () -> events.add(who + " busy"));
    }

    @Test
    void slotsAreTakenThenWaitedForInOrderThenRefused() {
        ask("a");
        ask("b");
        ask("c"); // waits
        ask("d"); // waits
        ask("e"); // the queue is full
        assertEquals(List.of("a runs", "b runs", "e busy"), events);
        assertEquals(2, slots.waiting());

        slots.release();
        slots.release();
        assertEquals(List.of("a runs", "b runs", "e busy", "c runs", "d runs"), events);
        assertEquals(0, slots.waiting());
    }

    @Test
    void aReleaseWithNobodyWaitingFreesTheSlot() {
        ask("a");
        ask("b");
        slots.release();
        ask("c");
        ask("d"); // waits: a's slot went to c
        assertEquals(List.of("a runs", "b runs", "c runs"), events);
        assertEquals(1, slots.waiting());
    }

    @Test
    void aWaiterPastTheWaitIsRefusedAndTheSlotGoesToTheNext() {
        ask("a");
        ask("b");
        ask("c");
        now += WAIT / 2;
        ask("d");
        now += WAIT / 2 + 1; // c has waited longer than the bound, d not
        slots.release();
        assertEquals(List.of("a runs", "b runs", "c busy", "d runs"), events);

        now += WAIT;
        slots.release();
        slots.release();
        ask("e");
        ask("f");
        ask("g");
        assertEquals(List.of("a runs", "b runs", "c busy", "d runs", "e runs", "f runs"), events, "two slots free");
    }

    @Test
    void withNoQueueEveryResumeBeyondTheSlotsIsRefusedAtOnce() {
        ResumeSlots none = new ResumeSlots(1, 0, WAIT, () -> now);
        none.acquire(() -> events.add("a runs"), () -> events.add("a busy"));
        none.acquire(() -> events.add("b runs"), () -> events.add("b busy"));
        assertEquals(List.of("a runs", "b busy"), events);
    }
}
