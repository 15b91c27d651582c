package dev.inbox.benchmarks;

import dev.inbox.gateway.history.LocalHistory;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;

/**
 * Heap one conversation's in-memory history takes (a single node's {@link LocalHistory}): fills {@code conversations}
 * rings with {@code events} typical events each, a fresh array per event as admission makes them, and reports the
 * heap used after a full GC against before, per conversation and per event, next to what the history itself counts
 * against {@code --history-local-max-bytes}.
 *
 * <pre>java -XX:+UseSerialGC -cp benchmarks/target/benchmarks.jar dev.inbox.benchmarks.HistoryMemory [conversations] [events]</pre>
 */
public final class HistoryMemory {
    /** A typical event: a one-line message with the sender's name and avatar, as the encoder writes it. */
    static final String TYPICAL = "{\"type\":\"TEXT\",\"message\":\"See you at the station at six, I'll bring the"
            + " tickets\",\"conversation_id\":%d,\"sender_id\":456,\"sender_name\":\"John Doe\",\"sender_avatar\":"
            + "\"https://cdn.example.com/avatars/456.png\",\"created_at\":\"2025-01-15T10:30:00.000Z\",\"message_id\":%d}";

    private HistoryMemory() {}

    public static void main(String[] args) {
        int conversations = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        int events = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        long base = 1_000_000_000_000_000L;
        int frameBytes = String.format(TYPICAL, 1_000_000, base).getBytes(StandardCharsets.UTF_8).length;
        long before = usedAfterGc();
        LocalHistory history = new LocalHistory(events, Long.MAX_VALUE, c -> 0);
        for (int c = 0; c < conversations; c++) {
            long previous = 0;
            for (int e = 0; e < events; e++) {
                long id = base + e;
                byte[] frame = String.format(TYPICAL, 1_000_000 + c, id).getBytes(StandardCharsets.UTF_8);
                history.append(1_000_000 + c, previous, id, 0, frame);
                previous = id;
            }
        }
        long after = usedAfterGc();
        long used = after - before;
        System.out.printf(
                "conversations=%d events=%d event_json_bytes=%d heap_used=%d per_conversation=%d per_event=%.1f"
                        + " counted_by_history=%d%n",
                conversations,
                events,
                frameBytes,
                used,
                used / conversations,
                used / (double) conversations / events,
                history.bytes());
        if (history.conversations() != conversations) {
            throw new IllegalStateException("rings: " + history.conversations());
        }
    }

    /** The least heap in use over a few full collections (run with a stop-the-world collector: -XX:+UseSerialGC). */
    private static long usedAfterGc() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
