package dev.inbox.gateway.receipts;

import dev.inbox.gateway.metrics.EventMeters;
import io.netty.channel.EventLoop;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Coalesces the {@code READ} events of the conversations one event loop owns, per (reader, conversation): the first
 * move is sent at once and opens a window; further moves until the window ends are held, only the newest kept, and
 * when it ends that newest position is sent if it is ahead of the last one sent (the trailing edge: the final
 * position is never dropped). A window in which something was sent is followed by another, so a steady reader sends
 * one event per window; one in which nothing was held closes, and the pair is forgotten.
 *
 * <p>Why: in the mixed load every member sends a {@code READ} per message it receives, and each that moves goes to
 * every member, which doubled the frames a node wrote (benchmarks/RESULTS.md, issue 15). Only the event is held back;
 * the stored position has moved already.
 *
 * <p>Windows end together: one task per loop, scheduled while any pair is open, ends every open window each
 * {@code interval}, so no timer exists per reader or per READ, and a held position waits at most one interval. A pair
 * whose window opened just before the task ran may thus send twice in less than an interval (its first move, then
 * the trailing one); never more than twice.
 *
 * <p>Bound: one entry per (reader, conversation) that moved within the current window, itself bounded by the
 * connections' event rate limit ({@code --event-rate-limit}); past {@value #MOST_OPEN} entries on one loop a new pair's
 * event is sent at once and not tracked (no coalescing for it, nothing lost).
 *
 * <p>Every field is touched on its loop only: {@link #moved} is called there (through the conversation's ordered
 * task queue), and the task runs there.
 */
final class ReadEventCoalescer implements Runnable {
    /** Open windows one loop keeps; at about 100 bytes each (and the held members), a few MiB at most. */
    static final int MOST_OPEN = 65_536;

    /** Sends a {@code READ} event to the members' connections on every node. On the coalescer's loop. */
    interface Forward {
        void send(long conversationId, long readerId, long messageId, long[] members);
    }

    private record Pair(long readerId, long conversationId) {}

    /** One open window: the last position sent, and the newest held since (0: none). */
    private static final class Window {
        long sent;
        long held;
        long[] members;

        Window(long sent) {
            this.sent = sent;
        }
    }

    private final EventLoop loop;
    private final long intervalNanos;
    private final Forward forward;
    private final EventMeters meters;
    private final Map<Pair, Window> open = new HashMap<>();
    /** Whether the task that ends the windows is scheduled. */
    private boolean scheduled;

    ReadEventCoalescer(EventLoop loop, long intervalNanos, Forward forward, EventMeters meters) {
        this.loop = loop;
        this.intervalNanos = intervalNanos;
        this.forward = forward;
        this.meters = meters;
    }

    /**
     * {@code readerId}'s position in {@code conversationId} moved to {@code messageId}; {@code members} are the
     * event's recipients. On this coalescer's loop.
     */
    void moved(long conversationId, long readerId, long messageId, long[] members) {
        Pair pair = new Pair(readerId, conversationId);
        Window w = open.get(pair);
        if (w == null) {
            if (open.size() < MOST_OPEN) {
                open.put(pair, new Window(messageId));
                schedule();
            }
            forward.send(conversationId, readerId, messageId, members);
            return;
        }
        if (messageId <= w.sent || messageId <= w.held) {
            // Two stores' answers can reach the loop out of order; an older position is never sent after a newer one.
            meters.readCoalesced();
            return;
        }
        if (w.held != 0) {
            meters.readCoalesced(); // the one held before is overtaken: it will never go
        }
        w.held = messageId;
        w.members = members;
    }

    /** Open windows, for tests. */
    int open() {
        return open.size();
    }

    private void schedule() {
        if (scheduled) {
            return;
        }
        scheduled = true;
        try {
            loop.schedule(this, intervalNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // The node is stopping and its connections with it; the positions are stored, READS still answers them.
            open.clear();
            scheduled = false;
        }
    }

    /** Ends every open window: sends what each holds, closes those that held nothing. On the loop. */
    @Override
    public void run() {
        scheduled = false;
        try {
            Iterator<Map.Entry<Pair, Window>> it = open.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<Pair, Window> e = it.next();
                Window w = e.getValue();
                if (w.held == 0) {
                    it.remove();
                    continue;
                }
                long[] members = w.members;
                w.sent = w.held;
                w.held = 0;
                w.members = null;
                forward.send(e.getKey().conversationId(), e.getKey().readerId(), w.sent, members);
            }
        } finally {
            if (!open.isEmpty()) {
                schedule(); // even after a failed send, so no other pair's held position is stranded
            }
        }
    }
}
