package dev.inbox.gateway.routing;

import dev.inbox.gateway.metrics.GatewayMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;

import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;

/**
 * Writes one encoded frame to every connection of a set of users on this node.
 *
 * <p>Design: the frame is a complete WebSocket frame, encoded once; each connection gets a
 * {@code retainedDuplicate()} (a pooled, recycled view: a reference-count increment, no copy) written with its void
 * promise. Connections are first sorted into one batch per event loop using a per-thread scratch array; a batch for
 * the calling loop is written in place, and each other loop gets one task holding one retain of the frame, writes
 * its whole batch, then flushes each connection once. So the cost per recipient is a lookup, a retain, a queue
 * append and a flush, and per message one task per other loop: never a task per recipient.
 *
 * <p>Hazard: the scratch arrays belong to the calling thread and must be empty between calls; they are cleared
 * before {@link #deliver} returns, and it is not reentrant.
 */
final class Fanout {
    private final EventLoops loops;
    private final UserGroups groups;
    private final GatewayMetrics metrics;
    private final long hardOutboundBytes;
    private final FastThreadLocal<Batch[]> scratch = new FastThreadLocal<>() {
        @Override
        protected Batch[] initialValue() {
            Batch[] batches = new Batch[loops.size()];
            for (int i = 0; i < batches.length; i++) {
                batches[i] = new Batch();
            }
            return batches;
        }
    };

    Fanout(EventLoops loops, UserGroups groups, GatewayMetrics metrics, long hardOutboundBytes) {
        this.hardOutboundBytes = hardOutboundBytes;
        this.loops = loops;
        this.groups = groups;
        this.metrics = metrics;
    }

    /**
     * Queues {@code frame} to every open connection of {@code userIds}, and {@code ack} instead of it to
     * {@code ackTo} when both are non-null. Takes no ownership of either buffer: the caller releases them after.
     *
     * @param relayed       whether the frame came from another node (for the meters)
     * @param acceptedNanos when the message was accepted, on this JVM's {@link System#nanoTime()} scale
     * @return the number of connections written to
     */
    int deliver(ByteBuf frame, long[] userIds, InboxSession ackTo, ByteBuf ack, boolean relayed, long acceptedNanos) {
        Batch[] batches = scratch.get();
        int recipients = 0;
        for (long userId : userIds) {
            for (InboxSession s : groups.sessionsOf(userId)) {
                batches[s.loopIndex()].add(s);
                recipients++;
            }
        }
        for (int i = 0; i < batches.length; i++) {
            Batch batch = batches[i];
            if (batch.size == 0) {
                continue;
            }
            EventLoop loop = loops.get(i);
            if (loop.inEventLoop()) {
                writeAll(frame, ackTo, ack, batch.sessions, batch.size, metrics, relayed, acceptedNanos,
                        hardOutboundBytes);
            } else {
                LoopWrite task = new LoopWrite(frame.retain(), ackTo, ack == null ? null : ack.retain(),
                        Arrays.copyOf(batch.sessions, batch.size), metrics, relayed, acceptedNanos, hardOutboundBytes);
                try {
                    loop.execute(task);
                } catch (RejectedExecutionException e) {
                    task.release(); // the loop is shutting down and its connections with it
                }
            }
            batch.clear();
        }
        if (!relayed) {
            metrics.fanout(recipients);
        }
        return recipients;
    }

    private static void writeAll(ByteBuf frame, InboxSession ackTo, ByteBuf ack, InboxSession[] sessions, int count,
                                 GatewayMetrics metrics, boolean relayed, long acceptedNanos, long hardOutboundBytes) {
        int written = 0;
        for (int i = 0; i < count; i++) {
            InboxSession s = sessions[i];
            Channel ch = s.channel();
            if (!ch.isActive() || s.isClosing()) {
                continue;
            }
            // The bound on one connection's queue: past the hard cap it is closed now, not after the grace.
            if (!ch.isWritable() && ch.bytesBeforeWritable() > hardOutboundBytes) {
                s.closeSlow();
                continue;
            }
            ByteBuf out = s == ackTo && ack != null ? ack.retainedDuplicate() : frame.retainedDuplicate();
            ch.write(out, ch.voidPromise());
            s.countOut();
            written++;
        }
        for (int i = 0; i < count; i++) {
            sessions[i].channel().flush();
        }
        // After the flush: the bytes are with the kernel (or queued behind a slow reader's earlier ones).
        metrics.delivered(relayed, written, System.nanoTime() - acceptedNanos);
    }

    /** One loop's share of one message: holds one reference to each buffer until it has written them. */
    private static final class LoopWrite implements Runnable {
        private final ByteBuf frame;
        private final InboxSession ackTo;
        private final ByteBuf ack;
        private final InboxSession[] sessions;
        private final GatewayMetrics metrics;
        private final boolean relayed;
        private final long acceptedNanos;
        private final long hardOutboundBytes;

        LoopWrite(ByteBuf frame, InboxSession ackTo, ByteBuf ack, InboxSession[] sessions, GatewayMetrics metrics,
                  boolean relayed, long acceptedNanos, long hardOutboundBytes) {
            this.hardOutboundBytes = hardOutboundBytes;
            this.frame = frame;
            this.ackTo = ackTo;
            this.ack = ack;
            this.sessions = sessions;
            this.metrics = metrics;
            this.relayed = relayed;
            this.acceptedNanos = acceptedNanos;
        }

        @Override
        public void run() {
            try {
                writeAll(frame, ackTo, ack, sessions, sessions.length, metrics, relayed, acceptedNanos,
                        hardOutboundBytes);
            } finally {
                release();
            }
        }

        void release() {
            frame.release();
            if (ack != null) {
                ack.release();
            }
        }
    }

    /** A growable list of sessions, reused across calls by one thread. */
    private static final class Batch {
        InboxSession[] sessions = new InboxSession[16];
        int size;

        void add(InboxSession s) {
            if (size == sessions.length) {
                sessions = Arrays.copyOf(sessions, size * 2);
            }
            sessions[size++] = s;
        }

        void clear() {
            Arrays.fill(sessions, 0, size, null);
            size = 0;
        }
    }
}
