package dev.inbox.gateway.history;

import java.util.List;

/**
 * One answer of a {@link ConversationHistory}.
 *
 * @param events  oldest first
 * @param trimmed true when events the request asked for were trimmed away (beyond the window: older than the
 *                retained range). For {@code after()}: some event with an id above {@code afterMessageId} is gone, so
 *                the page does not continue where the reader stopped. For {@code before()}: the page is short because
 *                the retained range ends, and older events existed (when the whole requested range lies inside the
 *                trimmed part, this is also true: it errs towards "gone", never towards a silent gap).
 */
public record HistoryPage(List<HistoryEvent> events, boolean trimmed) {
    public HistoryPage {
        events = List.copyOf(events);
    }

    public static HistoryPage empty(boolean trimmed) {
        return new HistoryPage(List.of(), trimmed);
    }
}
