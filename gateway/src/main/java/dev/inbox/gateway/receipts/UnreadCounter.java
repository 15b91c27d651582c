package dev.inbox.gateway.receipts;

import dev.inbox.gateway.history.ConversationHistory;
import dev.inbox.gateway.history.HistoryEvent;
import dev.inbox.gateway.history.HistoryPage;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Counts a reader's unread messages in a conversation from its history: the events after the reader's position,
 * leaving out the reader's own. Bounded: at most {@code 2 * max + 1} events are read (room for the reader's own among
 * them), and the count says it is a lower bound ({@code capped}) when it reached {@code max}, when there were more
 * events than were read, or when the history no longer holds every event after the position (older than
 * {@code --history-max-events} / {@code --history-max-age}, or history off). Thread-safe.
 */
public final class UnreadCounter {
    /** A count; {@code capped} when the real number may be higher. */
    public record Count(long unread, boolean capped) {}

    private static final byte[] SENDER_FIELD = ",\"sender_id\":".getBytes(StandardCharsets.US_ASCII);

    private final ConversationHistory history;
    private final int max;

    /** @param max the highest count reported ({@code --unread-max}) */
    public UnreadCounter(ConversationHistory history, int max) {
        this.history = history;
        this.max = max;
    }

    private int readLimit() {
        return 2 * max + 1;
    }

    /** {@code userId}'s unread count after {@code position} (0: never read). */
    public CompletionStage<Count> count(long conversationId, long userId, long position) {
        try {
            return history.after(conversationId, position, readLimit()).thenApply(page -> count(page, userId));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private Count count(HistoryPage page, long userId) {
        long n = 0;
        for (HistoryEvent e : page.events()) {
            if (senderOf(e.frame()) != userId) {
                n++;
            }
        }
        boolean capped = page.trimmed() || page.events().size() >= readLimit() || n > max;
        return new Count(Math.min(n, max), capped);
    }

    /**
     * The {@code sender_id} of an event's JSON, as the encoder writes it: the first {@code ,"sender_id":} is the field,
     * since inside a string every {@code "} is escaped. -1 when absent.
     */
    static long senderOf(byte[] json) {
        outer:
        for (int i = 0; i + SENDER_FIELD.length < json.length; i++) {
            for (int k = 0; k < SENDER_FIELD.length; k++) {
                if (json[i + k] != SENDER_FIELD[k]) {
                    continue outer;
                }
            }
            long id = 0;
            for (int j = i + SENDER_FIELD.length; j < json.length && json[j] >= '0' && json[j] <= '9'; j++) {
                id = id * 10 + (json[j] - '0');
            }
            return id;
        }
        return -1;
    }
}
