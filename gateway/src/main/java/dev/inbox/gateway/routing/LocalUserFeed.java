package dev.inbox.gateway.routing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The single node's {@link UserFeed}: per user a ring of (conversation_id, message_id) in memory, written at
 * admission, before the event is handed to the router (so an event not yet in a feed is delivered after it is read,
 * to a connection already holding its live events). At most {@code maxUsers} feeds: past it one is dropped, and its
 * user's next feed has a new generation, so a position in the dropped one answers {@code epoch_changed}. Everything
 * is lost when the node stops; the epoch, random per start, says so.
 */
public final class LocalUserFeed implements UserFeed {
    private final String nodeEpoch = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong generations = new AtomicLong();
    private final ConcurrentHashMap<Long, Ring> feeds = new ConcurrentHashMap<>();
    private final int maxLength;
    private final int maxUsers;

    public LocalUserFeed(int maxLength, int maxUsers) {
        this.maxLength = maxLength;
        this.maxUsers = maxUsers;
    }

    /** False with a max length of 0: no feed is kept. */
    boolean enabled() {
        return maxLength > 0;
    }

    /** Appends one delivered event to each member's feed. */
    void append(long[] userIds, long conversationId, long messageId) {
        if (maxLength == 0) {
            return;
        }
        for (long user : userIds) {
            ring(user).append(conversationId, messageId);
        }
    }

    private Ring ring(long user) {
        Ring r = feeds.get(user);
        if (r != null) {
            return r;
        }
        if (feeds.size() >= maxUsers) {
            Iterator<Long> some = feeds.keySet().iterator();
            if (some.hasNext()) {
                feeds.remove(some.next());
            }
        }
        return feeds.computeIfAbsent(user, u -> new Ring(nodeEpoch + "." + generations.incrementAndGet(), maxLength));
    }

    @Override
    public CompletionStage<Void> live(long userId) {
        return CompletableFuture.completedFuture(null); // local delivery reaches a connection as soon as it joined
    }

    @Override
    public CompletionStage<Read> read(long userId, Id after, int max) {
        return CompletableFuture.completedFuture(ring(userId).read(after, max));
    }

    /** One user's feed; ids are {@code 0-n}, n counting from 1. */
    private static final class Ring {
        private final String epoch;
        private final int capacity;
        private long[] conversations = new long[8];
        private long[] messages = new long[8];
        private long added;

        Ring(String epoch, int capacity) {
            this.epoch = epoch;
            this.capacity = capacity;
        }

        synchronized void append(long conversationId, long messageId) {
            int length = (int) Math.min(added, capacity);
            if (length == conversations.length && length < capacity) {
                int grown = Math.min(capacity, length * 2);
                // Grown in place keeps the slots' indexes: below capacity nothing has wrapped yet.
                conversations = Arrays.copyOf(conversations, grown);
                messages = Arrays.copyOf(messages, grown);
            }
            int slot = (int) (added % conversations.length);
            conversations[slot] = conversationId;
            messages[slot] = messageId;
            added++;
        }

        synchronized Read read(Id after, int max) {
            long length = Math.min(added, capacity);
            List<Entry> entries = new ArrayList<>();
            if (after != null) {
                long first = Math.max(after.seq() + 1, added - length + 1);
                for (long n = first; n <= added && entries.size() < max; n++) {
                    int slot = (int) ((n - 1) % conversations.length);
                    entries.add(new Entry(new Id(0, n), conversations[slot], messages[slot]));
                }
            }
            return new Read(epoch, new Id(0, added), added, length, entries);
        }
    }
}
