package dev.inbox.gateway.history;

import dev.inbox.protocol.ServerFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Reads one page back in a conversation's history for a reader (a {@code HISTORY} frame, the admin API), within the
 * node's bounds: the limit capped at {@code --history-page-max} (not refused), and the answer's bytes kept within a
 * budget by leaving out its oldest events, which the next page then starts from. Leaving them out is not
 * trimming: the page says {@code trimmed} only for what the store lost.
 */
public final class HistoryReader {
    private final ConversationHistory history;
    private final int pageMax;
    private final long maxAnswerBytes;

    /**
     * @param pageMax        most events one page holds
     * @param maxAnswerBytes most bytes of event JSON one page holds; a page keeps at least its newest event
     */
    public HistoryReader(ConversationHistory history, int pageMax, long maxAnswerBytes) {
        this.history = history;
        this.pageMax = pageMax;
        this.maxAnswerBytes = maxAnswerBytes;
    }

    /** The most events a page with {@code limit} asked for holds. */
    public int cap(long limit) {
        return (int) Math.min(Math.max(1, limit), pageMax);
    }

    /** Up to {@link #cap}({@code limit}) events before {@code before}, oldest first, within the byte budget. */
    public CompletionStage<HistoryPage> before(long conversationId, long before, long limit) {
        return history.before(conversationId, before, cap(limit)).thenApply(this::withinBudget);
    }

    /** {@code page} as a {@code HISTORY} frame, owned by the caller: what a client receives, and the admin API's body. */
    public static ByteBuf frame(
            ServerFrameEncoder encoder, ByteBufAllocator alloc, long conversationId, HistoryPage page) {
        List<byte[]> events = new ArrayList<>(page.events().size());
        for (HistoryEvent e : page.events()) {
            events.add(e.frame());
        }
        long oldest = events.isEmpty() ? 0 : page.events().get(0).messageId();
        return encoder.encodeHistory(alloc, conversationId, events, page.trimmed(), oldest);
    }

    private HistoryPage withinBudget(HistoryPage page) {
        List<HistoryEvent> events = page.events();
        long bytes = 0;
        int from = events.size();
        while (from > 0
                && (from == events.size() || bytes + events.get(from - 1).frame().length <= maxAnswerBytes)) {
            bytes += events.get(from - 1).frame().length;
            from--;
        }
        if (from == 0) {
            return page;
        }
        // Cut here, not trimmed: the events left out are still there for the next page.
        return new HistoryPage(events.subList(from, events.size()), false);
    }
}
