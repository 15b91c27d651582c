package dev.inbox.gateway.history;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalHistoryTest {
    private static final long BASE = 1_000_000_000_000_000L;
    private static final long C = 7;

    /** The id sequencer as the history sees it: the last id given per conversation. */
    private final Map<Long, Long> lastIds = new HashMap<>();

    private LocalHistory history(int maxEvents, long maxBytes) {
        return new LocalHistory(maxEvents, maxBytes, c -> lastIds.getOrDefault(c, 0L));
    }

    /** Appends event {@code n} (id BASE + n) to conversation {@code c}, as the admission step does. */
    private void append(LocalHistory h, long c, long n, long minRetainedId) {
        long previous = lastIds.getOrDefault(c, 0L);
        long id = BASE + n;
        lastIds.put(c, id);
        h.append(c, previous, id, minRetainedId, frame(id));
    }

    private static byte[] frame(long id) {
        return ("{\"type\":\"TEXT\",\"message_id\":" + id + "}").getBytes(StandardCharsets.UTF_8);
    }

    private static HistoryPage page(java.util.concurrent.CompletionStage<HistoryPage> stage) {
        return stage.toCompletableFuture().join();
    }

    private static List<Long> ids(HistoryPage p) {
        return p.events().stream().map(HistoryEvent::messageId).toList();
    }

    @Test
    void readsAfterAndBeforeAnIdOldestFirstWithTheFramesAsAppended() {
        LocalHistory h = history(100, 1 << 20);
        for (int n = 1; n <= 10; n++) {
            append(h, C, n, 0);
        }
        HistoryPage after = page(h.after(C, BASE + 3, 4));
        assertEquals(List.of(BASE + 4, BASE + 5, BASE + 6, BASE + 7), ids(after));
        assertArrayEquals(frame(BASE + 4), after.events().get(0).frame());
        assertFalse(after.trimmed());

        assertEquals(List.of(BASE + 7, BASE + 8, BASE + 9), ids(page(h.before(C, BASE + 10, 3))));
        assertEquals(List.of(BASE + 8, BASE + 9, BASE + 10), ids(page(h.before(C, Long.MAX_VALUE, 3))));
        HistoryPage first = page(h.before(C, BASE + 3, 5));
        assertEquals(List.of(BASE + 1, BASE + 2), ids(first));
        assertFalse(first.trimmed(), "the conversation's first events: nothing older was ever dropped");
        assertEquals(List.of(), ids(page(h.after(C, BASE + 10, 5))));
        assertEquals(List.of(), ids(page(h.after(99, 0, 5))), "a conversation that never had an event");
        assertFalse(page(h.after(99, 0, 5)).trimmed());
    }

    @Test
    void pagingBackwardsVisitsEveryEventOnceThenSaysTheStartWasTrimmedWhenItWas() {
        LocalHistory h = history(25, 1 << 20);
        for (int n = 1; n <= 40; n++) {
            append(h, C, n, 0);
        }
        // The count bound kept the newest 25: 16..40.
        java.util.ArrayList<Long> seen = new java.util.ArrayList<>();
        long before = Long.MAX_VALUE;
        HistoryPage p;
        do {
            p = page(h.before(C, before, 10));
            seen.addAll(0, ids(p));
            if (!p.events().isEmpty()) {
                before = p.events().get(0).messageId();
            }
        } while (p.events().size() == 10);
        assertEquals(25, seen.size());
        assertEquals(BASE + 16, seen.get(0));
        assertEquals(BASE + 40, seen.get(24));
        assertTrue(p.trimmed(), "the last page is short because events 1..15 were trimmed");
    }

    @Test
    void aReaderWhoseNextEventWasTrimmedIsToldSo() {
        LocalHistory h = history(5, 1 << 20);
        for (int n = 1; n <= 8; n++) {
            append(h, C, n, 0);
        }
        HistoryPage gap = page(h.after(C, BASE + 2, 10));
        assertEquals(List.of(BASE + 4, BASE + 5, BASE + 6, BASE + 7, BASE + 8), ids(gap));
        assertTrue(gap.trimmed(), "event 3 is gone");
        HistoryPage whole = page(h.after(C, BASE + 3, 10));
        assertEquals(5, whole.events().size());
        assertFalse(whole.trimmed(), "everything after 3 is still there");
    }

    @Test
    void eventsOlderThanTheAgeBoundLeaveAtTheNextAppend() {
        LocalHistory h = history(100, 1 << 20);
        for (int n = 1; n <= 5; n++) {
            append(h, C, n, 0);
        }
        append(h, C, 6, BASE + 4); // ids below BASE + 4 are older than the age bound now
        assertEquals(List.of(BASE + 4, BASE + 5, BASE + 6), ids(page(h.after(C, 0, 10))));
        assertTrue(page(h.after(C, BASE + 2, 10)).trimmed());
        assertFalse(page(h.after(C, BASE + 3, 10)).trimmed());
    }

    @Test
    void pastTheByteBudgetTheHistoryWrittenToLongestAgoIsDroppedAndReadsAsTrimmed() {
        int frameBytes = frame(BASE).length + LocalHistory.EVENT_OVERHEAD_BYTES;
        LocalHistory h = history(100, 10L * frameBytes);
        for (int n = 1; n <= 4; n++) {
            append(h, 1, n, 0);
        }
        for (int n = 1; n <= 4; n++) {
            append(h, 2, n, 0);
        }
        assertEquals(8L * frameBytes, h.bytes());
        for (int n = 1; n <= 3; n++) {
            append(h, 3, n, 0); // the 11th event crosses the budget: conversation 1, written to first, goes
        }
        assertEquals(1, h.evictedHistories());
        assertTrue(h.bytes() <= 9L * frameBytes, "down to 90% of the budget: " + h.bytes());
        HistoryPage lost = page(h.after(1, BASE + 2, 10));
        assertEquals(List.of(), lost.events());
        assertTrue(lost.trimmed(), "events 3 and 4 of conversation 1 existed and are gone");
        assertFalse(page(h.after(1, BASE + 4, 10)).trimmed(), "nothing after its last event was lost");
        assertTrue(page(h.before(1, Long.MAX_VALUE, 10)).trimmed());
        assertEquals(4, page(h.after(2, 0, 10)).events().size(), "the others are whole");

        // Written to again, conversation 1 starts a new history that knows what came before is gone.
        append(h, 1, 5, 0);
        HistoryPage again = page(h.after(1, BASE + 2, 10));
        assertEquals(List.of(BASE + 5), ids(again));
        assertTrue(again.trimmed());
        assertFalse(page(h.after(1, BASE + 4, 10)).trimmed());
    }

    @Test
    void aZeroLimitReadsNothing() {
        LocalHistory h = history(10, 1 << 20);
        append(h, C, 1, 0);
        assertEquals(List.of(), page(h.after(C, 0, 0)).events());
        assertEquals(List.of(), page(h.before(C, Long.MAX_VALUE, 0)).events());
    }
}
