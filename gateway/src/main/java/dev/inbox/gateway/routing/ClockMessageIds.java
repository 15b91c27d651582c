package dev.inbox.gateway.routing;

import dev.inbox.protocol.Ids;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The single-node sequencer: {@code id = max(previous + 1, (now - 2025-01-01) << 11)}.
 *
 * <p>Why the clock: a plain counter would start again at 1 after a restart and hand out ids clients already hold.
 * Seeding from milliseconds since 2025 keeps ids increasing across restarts as long as the clock does not step back
 * by more than the restart took, and leaves 2048 ids per millisecond per conversation before ids run ahead of the
 * clock (they stay increasing even then). The largest id this scheme reaches before the year 2094 is below 2^53.
 */
public final class ClockMessageIds implements MessageIdSequencer {
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

    @Override
    public CompletionStage<Long> next(long conversationId) {
        long floor = Math.max(1, (clock.getAsLong() - EPOCH_MILLIS) << SEQUENCE_BITS);
        long id = last.computeIfAbsent(conversationId, k -> new AtomicLong())
                .accumulateAndGet(floor, (prev, f) -> Math.max(prev + 1, f));
        if (id > Ids.MAX_SAFE) {
            return CompletableFuture.failedFuture(new IllegalStateException("message_id space exhausted"));
        }
        return CompletableFuture.completedFuture(id);
    }
}
