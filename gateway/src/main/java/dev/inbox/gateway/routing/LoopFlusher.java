package dev.inbox.gateway.routing;

import dev.inbox.gateway.metrics.GatewayMetrics;
import io.netty.channel.EventLoop;
import io.netty.channel.SingleThreadEventLoop;
import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;

/**
 * Flushes, once at the end of an event-loop iteration, every connection of that loop that fan-out wrote to during
 * the iteration, then records the deliveries' latency at that moment.
 *
 * <p>Why: on a socket each flush is a system call ({@code writev}). Flushing per message costs one per message and
 * recipient; flushing per iteration costs one per recipient however many messages reached it meanwhile, which is
 * what keeps a busy node's kernel time flat as traffic rises. The flush waits for nothing but the tasks already
 * queued on this loop, so a delivery is delayed by at most one iteration. The run is scheduled with
 * {@link SingleThreadEventLoop#executeAfterEventLoopIteration} (the loop's tail tasks), or as a plain task on loops
 * without them (tests' {@code EmbeddedEventLoop}).
 *
 * <p>Every field is touched on this flusher's loop only. The arrays grow to the most connections and messages seen
 * in one iteration and are reused, so steady state allocates nothing.
 */
final class LoopFlusher implements Runnable {
    /**
     * Frames written before a flush at the latest, however long the iteration: a message to tens of thousands, or a
     * burst of messages, otherwise holds every frame in the outbound buffers until the iteration ends, and the
     * entries and buffer views released at once overflow the per-thread batch of Netty's object pools (2 048, set in
     * Main) into allocation (FanoutBenchmark measures the bytes per delivery).
     */
    static final int MOST_UNFLUSHED = 1024;

    private final EventLoop loop;
    private final GatewayMetrics.LatencyRecorder deliveries;
    /** Connections written to since the last run, each once (see {@link InboxSession#flushPending}). */
    private InboxSession[] written = new InboxSession[64];

    private int writtenCount;
    /** Frames written since the last flush, counting each connection's every frame. */
    private int unflushed;
    /** Per fan-out batch since the last run: whether relayed, how many connections, when accepted (nanoTime). */
    private boolean[] relayed = new boolean[16];

    private int[] counts = new int[16];
    private long[] acceptedNanos = new long[16];
    private int batches;
    private boolean scheduled;

    LoopFlusher(EventLoop loop, GatewayMetrics metrics) {
        this.loop = loop;
        this.deliveries = metrics.latencyRecorder();
    }

    /** {@code session} was written to and needs a flush. */
    void written(InboxSession session) {
        if (++unflushed >= MOST_UNFLUSHED) {
            if (!session.flushPending) {
                session.flushFrames(); // not on the list, and the list is about to be flushed anyway
            }
            flushWritten();
            return;
        }
        if (session.flushPending) {
            return;
        }
        session.flushPending = true;
        if (writtenCount == written.length) {
            written = Arrays.copyOf(written, writtenCount * 2);
        }
        written[writtenCount++] = session;
        schedule();
    }

    /** {@code count} connections were written one message accepted at {@code acceptedNanos}; metered at the flush. */
    void delivered(boolean relayedMessage, int count, long acceptedAt) {
        if (count == 0) {
            return;
        }
        if (batches == counts.length) {
            relayed = Arrays.copyOf(relayed, batches * 2);
            counts = Arrays.copyOf(counts, batches * 2);
            acceptedNanos = Arrays.copyOf(acceptedNanos, batches * 2);
        }
        relayed[batches] = relayedMessage;
        counts[batches] = count;
        acceptedNanos[batches] = acceptedAt;
        batches++;
        schedule();
    }

    private void flushWritten() {
        for (int i = 0; i < writtenCount; i++) {
            InboxSession s = written[i];
            written[i] = null;
            s.flushPending = false;
            s.flushFrames();
        }
        writtenCount = 0;
        unflushed = 0;
    }

    private void schedule() {
        if (scheduled) {
            return;
        }
        scheduled = true;
        try {
            if (loop instanceof SingleThreadEventLoop tail) {
                tail.executeAfterEventLoopIteration(this);
            } else {
                loop.execute(this);
            }
        } catch (RejectedExecutionException e) {
            run(); // the loop is shutting down: flush what is there now, its connections are closing anyway
        }
    }

    /** Flushes every connection written to, then meters every batch. On the loop, once per iteration. */
    @Override
    public void run() {
        scheduled = false;
        flushWritten();
        // After the flushes: the bytes are with the kernel (or queued behind a slow reader's earlier ones).
        long now = System.nanoTime();
        for (int i = 0; i < batches; i++) {
            deliveries.delivered(relayed[i], counts[i], now - acceptedNanos[i]);
        }
        batches = 0;
    }
}
