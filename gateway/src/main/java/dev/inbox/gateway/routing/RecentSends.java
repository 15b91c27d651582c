package dev.inbox.gateway.routing;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The single node's memory of recent {@code client_msg_id}s: for each (sender, conversation, {@code client_msg_id})
 * admitted within the window, the original's {@code message_id} and {@code created_at}, so a resend is answered
 * with them instead of being delivered again.
 *
 * <p>Bounded twice: an entry is forgotten when its window ends, and at {@code maxEntries} the oldest is forgotten
 * early to make room (counted through {@code evicted}): a resend of that one becomes a new message. Entries go in
 * in time order, so both kinds of forgetting take from the head of one insertion-ordered map.
 *
 * <p>Thread-safe: one lock, held for a map lookup or insert. Every key of one conversation is only ever asked about
 * on that conversation's owner loop, so {@link #find} followed by {@link #remember} is not raced by another send of
 * the same key.
 */
public final class RecentSends {
    private final long windowNanos;
    private final int maxEntries;
    private final LongSupplier nanoClock;
    private final Runnable evicted;
    private final Map<Key, Original> entries = new LinkedHashMap<>();

    /**
     * @param window     how long an entry is remembered; positive
     * @param maxEntries most entries at once
     * @param evicted    told of each entry forgotten before its window ended
     */
    public RecentSends(Duration window, int maxEntries, Runnable evicted) {
        this(window, maxEntries, evicted, System::nanoTime);
    }

    RecentSends(Duration window, int maxEntries, Runnable evicted, LongSupplier nanoClock) {
        if (window.isNegative() || window.isZero() || maxEntries < 1) {
            throw new IllegalArgumentException("window " + window + ", maxEntries " + maxEntries);
        }
        this.windowNanos = window.toNanos();
        this.maxEntries = maxEntries;
        this.evicted = evicted;
        this.nanoClock = nanoClock;
    }

    /** The message admitted earlier with this key within the window, or {@code null}. */
    public synchronized Admitted find(long senderId, long conversationId, String clientMsgId) {
        expire(nanoClock.getAsLong());
        Original o = entries.get(new Key(senderId, conversationId, clientMsgId));
        return o == null ? null : Admitted.resend(o.messageId, o.createdAtMillis);
    }

    /** Remembers that this key's message was admitted now with {@code messageId}. */
    public synchronized void remember(
            long senderId, long conversationId, String clientMsgId, long messageId, long createdAtMillis) {
        long now = nanoClock.getAsLong();
        expire(now);
        Key key = new Key(senderId, conversationId, clientMsgId);
        // Removed first so that it goes to the tail: the map stays in expiry order.
        entries.remove(key);
        if (entries.size() >= maxEntries) {
            Iterator<Original> oldest = entries.values().iterator();
            oldest.next();
            oldest.remove();
            evicted.run();
        }
        entries.put(key, new Original(messageId, createdAtMillis, now + windowNanos));
    }

    /** How many entries are held now (expired ones are dropped first). */
    public synchronized int size() {
        expire(nanoClock.getAsLong());
        return entries.size();
    }

    private void expire(long now) {
        Iterator<Original> it = entries.values().iterator();
        while (it.hasNext() && it.next().expiresAtNanos - now <= 0) {
            it.remove();
        }
    }

    private record Key(long senderId, long conversationId, String clientMsgId) {}

    private record Original(long messageId, long createdAtMillis, long expiresAtNanos) {}
}
