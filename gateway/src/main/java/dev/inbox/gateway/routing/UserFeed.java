package dev.inbox.gateway.routing;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Per user, the order in which events were delivered to them: one small entry (conversation_id, message_id) per
 * event, written in the same step that hands the event to the user's channel, bounded by count and age, and an
 * epoch that changes whenever the feed may have been lost. A resume reads it to learn what a client missed
 * (docs/protocol.md, "Resume"). Redis: a stream per user ({@code relay.RedisUserFeed}); a single node: a ring in
 * memory ({@link LocalUserFeed}).
 */
public interface UserFeed {
    /**
     * Completes once every event published to {@code userId}'s channel from then on reaches this node's
     * connections of that user (on Redis: its channel's SUBSCRIBE is confirmed). Any thread.
     */
    CompletionStage<Void> live(long userId);

    /**
     * Reads the user's epoch (made if there is none) and, when {@code after} is not null, up to {@code max} entries
     * after that feed id, oldest first. Any thread; completes on any thread.
     */
    CompletionStage<Read> read(long userId, Id after, int max);

    /** A feed entry's id: Redis stream ids ({@code ms-seq}); a single node's count as {@code 0-n}. */
    record Id(long ms, long seq) implements Comparable<Id> {
        public static final Id ZERO = new Id(0, 0);

        /** {@code ms-seq}, or null when it is not one. */
        public static Id parse(String text) {
            int dash = text.indexOf('-');
            if (dash <= 0 || dash == text.length() - 1) {
                return null;
            }
            try {
                long ms = Long.parseLong(text, 0, dash, 10);
                long seq = Long.parseLong(text, dash + 1, text.length(), 10);
                return ms < 0 || seq < 0 ? null : new Id(ms, seq);
            } catch (NumberFormatException e) {
                return null;
            }
        }

        @Override
        public int compareTo(Id o) {
            int c = Long.compare(ms, o.ms);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }

        @Override
        public String toString() {
            return ms + "-" + seq;
        }
    }

    /** One delivered event: which conversation, which message. */
    record Entry(Id id, long conversationId, long messageId) {}

    /**
     * What a read saw, at one moment.
     *
     * @param epoch   the user's epoch
     * @param lastId  the feed's last id ({@link Id#ZERO} when it has none)
     * @param added   entries ever added to the feed under this epoch
     * @param length  entries it holds now
     * @param entries up to {@code max} entries after the requested id
     */
    record Read(String epoch, Id lastId, long added, long length, List<Entry> entries) {}
}
