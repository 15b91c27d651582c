package dev.inbox.gateway.routing;

import dev.inbox.protocol.Ids;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The single-node sequencer: {@code id = max(previous + 1, 10^15 + ((now - 2025-01-01) << 11))}.
 *
 * <p>Why the clock: a plain counter would start again at 1 after a restart and hand out ids clients already hold.
 * Seeding from milliseconds since 2025 keeps ids increasing across restarts as long as the clock does not step back
 * by more than the restart took, and leaves 2048 ids per millisecond per conversation before ids run ahead of the
 * clock (they stay increasing even then). The 10^15 base gives every id exactly 16 digits (see
 * {@link Ids#MIN_MESSAGE_ID}); the scheme stays below 2^53 for about 124 years from 2025.
 */
public final class ClockMessageIds {
    static final long EPOCH_MILLIS = 1_735_689_600_000L; // 2025-01-01T00:00:00Z
    static final int SEQUENCE_BITS = 11;

    private final ConcurrentMap<Long, AtomicLong> last = new ConcurrentHashMap<>();
    private final LongSupplier clock;

    public ClockMessageIds() {
        this(System::currentTimeMillis);
    }

    ClockMessageIds(LongSupplier clock) {
        this.clock = clock;
    }

    /** The smallest id the clock allows at {@code nowMillis}; shared with the Redis sequencer so both agree. */
    public static long floor(long nowMillis) {
        return Ids.MIN_MESSAGE_ID + (Math.max(0, nowMillis - EPOCH_MILLIS) << SEQUENCE_BITS);
    }

    /** The last id given in {@code conversationId}, 0 when none (since this node started). */
    public long last(long conversationId) {
        AtomicLong id = last.get(conversationId);
        return id == null ? 0 : id.get();
    }

    /** The next id of {@code conversationId}; complete when returned. */
    public CompletionStage<Long> next(long conversationId) {
        long floor = floor(clock.getAsLong());
        long id = last.computeIfAbsent(conversationId, k -> new AtomicLong())
                .accumulateAndGet(floor, (prev, f) -> Math.max(prev + 1, f));
        if (id > Ids.MAX_SAFE) {
            return CompletableFuture.failedFuture(new IllegalStateException("message_id space exhausted"));
        }
        return CompletableFuture.completedFuture(id);
    }
}
