package dev.inbox.gateway.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongUnaryOperator;

/**
 * The single node's history: a ring of events per conversation in memory, bounded by count and age per conversation
 * and by a byte budget for the whole node. Past the budget, the histories written to longest ago are dropped whole.
 * Everything is lost when the node stops (docs/operations.md).
 *
 * <p>Why a dropped history is never a silent gap: each ring remembers the highest id it dropped
 * ({@code maxDeleted}); a ring created for a conversation that
 * already had events starts with the id before its first as dropped; and a conversation without a ring answers from
 * the id sequencer ({@code lastIdOf}): any id it gave is gone.
 *
 * <p>Thread-safety: {@link #append} runs on the conversation's owner event loop; reads and budget eviction come from
 * any thread. Each ring is guarded by its own monitor, held for a copy of a page at most; nothing blocks on I/O.
 */
public final class LocalHistory implements ConversationHistory {
    /** Heap a retained event costs besides its frame's bytes: the array header, the id and the slot. */
    static final int EVENT_OVERHEAD_BYTES = 16 + 8 + 8;

    private final Map<Long, Ring> rings = new ConcurrentHashMap<>();
    private final int maxEvents;
    private final long maxBytes;
    private final LongUnaryOperator lastIdOf;
    private final AtomicLong bytes = new AtomicLong();
    private final ReentrantLock evicting = new ReentrantLock();
    private final AtomicLong evictedHistories = new AtomicLong();

    /**
     * @param maxEvents most events one conversation keeps
     * @param maxBytes  the node's budget for every conversation's retained frames (plus {@value #EVENT_OVERHEAD_BYTES}
     *                  bytes an event)
     * @param lastIdOf  the last {@code message_id} given in a conversation, 0 when none: what a conversation without a
     *                  ring lost
     */
    public LocalHistory(int maxEvents, long maxBytes, LongUnaryOperator lastIdOf) {
        if (maxEvents < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("maxEvents: " + maxEvents + ", maxBytes: " + maxBytes);
        }
        this.maxEvents = maxEvents;
        this.maxBytes = maxBytes;
        this.lastIdOf = lastIdOf;
    }

    /**
     * Appends an admitted event; on the conversation's owner event loop, in id order.
     *
     * @param previousId     the id given in this conversation before {@code messageId}, 0 when none
     * @param minRetainedId  events with a lower id are too old and dropped
     * @param frame          the event's JSON, owned by the history from now on
     */
    public void append(long conversationId, long previousId, long messageId, long minRetainedId, byte[] frame) {
        Ring ring = rings.computeIfAbsent(conversationId, k -> new Ring(previousId));
        long grown = ring.append(messageId, frame, minRetainedId, maxEvents);
        if (grown == Ring.EVICTED) {
            // Evicted between the lookup and the append: a new ring, which records everything before as gone.
            ring = new Ring(previousId);
            rings.put(conversationId, ring);
            grown = ring.append(messageId, frame, minRetainedId, maxEvents);
        }
        if (bytes.addAndGet(grown) > maxBytes) {
            evictOldest();
        }
    }

    @Override
    public CompletionStage<HistoryPage> after(long conversationId, long afterMessageId, int limit) {
        Ring ring = rings.get(conversationId);
        HistoryPage page = ring == null
                ? HistoryPage.empty(lastIdOf.applyAsLong(conversationId) > afterMessageId)
                : ring.after(afterMessageId, Math.max(0, limit));
        return CompletableFuture.completedFuture(page);
    }

    @Override
    public CompletionStage<HistoryPage> before(long conversationId, long beforeMessageId, int limit) {
        Ring ring = rings.get(conversationId);
        HistoryPage page = ring == null
                ? HistoryPage.empty(limit > 0 && lastIdOf.applyAsLong(conversationId) > 0)
                : ring.before(beforeMessageId, Math.max(0, limit));
        return CompletableFuture.completedFuture(page);
    }

    /** Bytes the retained events take, overhead included. */
    public long bytes() {
        return bytes.get();
    }

    /** Conversations with a ring. */
    public int conversations() {
        return rings.size();
    }

    /** Histories dropped whole to stay within the byte budget, since start. */
    public long evictedHistories() {
        return evictedHistories.get();
    }

    /**
     * Drops the histories written to longest ago until the node is at 90% of its budget, so the sort this costs is
     * paid once per tenth of the budget, not once per message. One thread evicts; the others go on.
     */
    private void evictOldest() {
        if (!evicting.tryLock()) {
            return;
        }
        try {
            long target = maxBytes - maxBytes / 10;
            if (bytes.get() <= maxBytes) {
                return;
            }
            List<Map.Entry<Long, Ring>> byAge = new ArrayList<>(rings.entrySet());
            byAge.sort(Comparator.comparingLong(e -> e.getValue().lastAppendNanos));
            for (Map.Entry<Long, Ring> e : byAge) {
                if (bytes.get() <= target) {
                    break;
                }
                long freed = e.getValue().evict();
                rings.remove(e.getKey(), e.getValue());
                bytes.addAndGet(-freed);
                evictedHistories.incrementAndGet();
            }
        } finally {
            evicting.unlock();
        }
    }

    /** One conversation's events, oldest first, in a circular buffer that grows to the count bound. */
    private static final class Ring {
        static final long EVICTED = Long.MIN_VALUE;

        private long[] ids = new long[4];
        private byte[][] frames = new byte[4][];
        private int head;
        private int size;
        /** The highest id dropped; every lower id this conversation had is gone too. */
        private long maxDeleted;

        private boolean evicted;
        /** When this ring was last appended to, for eviction order; read unguarded, a hint. */
        volatile long lastAppendNanos = System.nanoTime();

        Ring(long droppedBefore) {
            this.maxDeleted = droppedBefore;
        }

        /** Appends and trims; the change in retained bytes, or {@link #EVICTED} (nothing appended). */
        synchronized long append(long id, byte[] frame, long minRetainedId, int maxEvents) {
            if (evicted) {
                return EVICTED;
            }
            long delta = frame.length + EVENT_OVERHEAD_BYTES;
            while (size > 0 && (size >= maxEvents || ids[head] < minRetainedId)) {
                delta -= dropOldest();
            }
            if (size == ids.length) {
                grow(maxEvents);
            }
            int at = (head + size) % ids.length;
            ids[at] = id;
            frames[at] = frame;
            size++;
            lastAppendNanos = System.nanoTime();
            return delta;
        }

        private long dropOldest() {
            long freed = frames[head].length + EVENT_OVERHEAD_BYTES;
            maxDeleted = ids[head];
            frames[head] = null;
            head = (head + 1) % ids.length;
            size--;
            return freed;
        }

        private void grow(int maxEvents) {
            int capacity = (int) Math.min(maxEvents, ids.length * 2L);
            long[] newIds = new long[capacity];
            byte[][] newFrames = new byte[capacity][];
            for (int i = 0; i < size; i++) {
                newIds[i] = ids[(head + i) % ids.length];
                newFrames[i] = frames[(head + i) % ids.length];
            }
            ids = newIds;
            frames = newFrames;
            head = 0;
        }

        /** Drops everything; the bytes freed. Later appends go to a new ring. */
        synchronized long evict() {
            long freed = 0;
            while (size > 0) {
                freed += dropOldest();
            }
            evicted = true;
            return freed;
        }

        synchronized HistoryPage after(long afterId, int limit) {
            int from = firstAbove(afterId);
            int n = Math.min(limit, size - from);
            return new HistoryPage(copy(from, n), maxDeleted > afterId);
        }

        synchronized HistoryPage before(long beforeId, int limit) {
            int to = firstAbove(beforeId - 1); // first index with id >= beforeId
            int n = Math.min(limit, to);
            // Short of the limit because the retained range ends here, with older events gone.
            return new HistoryPage(copy(to - n, n), n < limit && maxDeleted > 0);
        }

        /** The first index (0 = oldest) whose id is above {@code id}; {@code size} when none. Binary search. */
        private int firstAbove(long id) {
            int lo = 0;
            int hi = size;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (ids[(head + mid) % ids.length] > id) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            return lo;
        }

        private List<HistoryEvent> copy(int from, int n) {
            List<HistoryEvent> events = new ArrayList<>(n);
            for (int i = from; i < from + n; i++) {
                int at = (head + i) % ids.length;
                events.add(new HistoryEvent(ids[at], frames[at]));
            }
            return events;
        }
    }
}
