package dev.inbox.gateway.routing;

import io.netty.util.collection.LongObjectHashMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The single node's {@link UserFeed}: per user a ring of (conversation_id, message_id) in memory, written at
 * admission, before the event is handed to the router (so an event not yet in a feed is delivered after it is read,
 * to a connection already holding its live events). At most {@code maxUsers} feeds: past it one is dropped (one of
 * the same stripe, not the least recently used), and its
 * user's next feed has a new generation, so a position in the dropped one answers {@code epoch_changed}. Everything
 * is lost when the node stops; the epoch, random per start, says so.
 */
public final class LocalUserFeed implements UserFeed {
    private final String nodeEpoch = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong generations = new AtomicLong();
    /**
     * The feeds, striped by user: each stripe a primitive-keyed map guarded by its own lock, so appending to a member's
     * feed (once per recipient per message) boxes nothing, and admissions on different loops rarely meet.
     */
    private final LongObjectHashMap<Ring>[] stripes;

    private final int maxLength;
    /** Feeds one stripe may hold: together at most the {@code maxUsers} given. */
    private final int maxPerStripe;

    @SuppressWarnings("unchecked")
    public LocalUserFeed(int maxLength, int maxUsers) {
        this.maxLength = maxLength;
        int n = Math.max(1, Math.min(16, maxUsers));
        this.stripes = new LongObjectHashMap[n];
        for (int i = 0; i < n; i++) {
            stripes[i] = new LongObjectHashMap<>();
        }
        this.maxPerStripe = Math.max(1, maxUsers / n);
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
            LongObjectHashMap<Ring> stripe = stripe(user);
            synchronized (stripe) {
                ring(stripe, user).append(conversationId, messageId);
            }
        }
    }

    private LongObjectHashMap<Ring> stripe(long user) {
        return stripes[(int) Math.floorMod(user, (long) stripes.length)];
    }

    /** The user's ring, made when missing; past the stripe's share of the cap one other feed is dropped first. */
    private Ring ring(LongObjectHashMap<Ring> stripe, long user) {
        Ring r = stripe.get(user);
        if (r != null) {
            return r;
        }
        if (stripe.size() >= maxPerStripe) {
            stripe.remove(stripe.keySet().iterator().next());
        }
        r = new Ring(nodeEpoch + "." + generations.incrementAndGet(), maxLength);
        stripe.put(user, r);
        return r;
    }

    @Override
    public CompletionStage<Void> live(long userId) {
        return CompletableFuture.completedFuture(null); // local delivery reaches a connection as soon as it joined
    }

    @Override
    public CompletionStage<Read> read(long userId, Id after, int max) {
        LongObjectHashMap<Ring> stripe = stripe(userId);
        synchronized (stripe) {
            return CompletableFuture.completedFuture(ring(stripe, userId).read(after, max));
        }
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

        /** Under its stripe's lock. */
        void append(long conversationId, long messageId) {
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

        /** Under its stripe's lock. */
        Read read(Id after, int max) {
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
