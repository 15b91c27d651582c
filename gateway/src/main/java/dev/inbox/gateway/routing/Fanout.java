package dev.inbox.gateway.routing;

import dev.inbox.gateway.metrics.GatewayMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.Recycler;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.Arrays;

/**
 * Writes one encoded frame to every connection of a set of users on this node.
 *
 * <p>Design: the frame is a complete WebSocket frame, encoded once. The calling thread looks each member up once
 * and sorts their connections into one {@link LoopWrite} per event loop; the batch for the calling loop is written
 * in place, and each other loop gets its batch as one task through its {@link LoopTaskQueue} (in order with
 * everything else the router hands that loop, and yielding to the loop's I/O there). Each batch holds one
 * {@code retainedDuplicate()} of the frame, and each of its connections gets a {@code retainedDuplicate()} of that
 * (from the pooled allocator, a recycled view: no copy and no allocation), so a recipient's retain and release touch
 * a reference count that only its own loop writes. Frames enter each pipeline below the frame encoder, with the void promise, and each loop's
 * {@link LoopFlusher} flushes every connection it wrote once, at the end of the loop's iteration. So per recipient
 * the cost is a lookup, an array store, an uncontended retain, a queue append and (shared with every other message
 * in the iteration) a flush; per message, one task per other loop: never a task per recipient.
 *
 * <p>Batches are pooled ({@link Recycler}: taken on the routing thread, returned by the loop that ran them), so in
 * steady state nothing is allocated per message or recipient. The pool is bounded per thread, and a batch that grew
 * past {@link LoopWrite#RETAINED_CAPACITY} for a huge conversation gives its array back on return, so the pool
 * holds at most 64 batches of 8 192 references (2 MiB) per routing thread.
 *
 * <p>Hazard: the per-thread array of open batches must be empty between calls; {@link #deliver} empties it before
 * returning and is not reentrant.
 */
final class Fanout {
    private final EventLoops loops;
    private final UserGroups groups;
    private final GatewayMetrics metrics;
    private final LoopFlusher[] flushers;
    /** Per loop, the way in for its batches (see {@link LoopTaskQueue}). */
    private final LoopTaskQueue[] taskQueues;
    /** Per routing thread: the batch being filled for each loop during one {@link #deliver}, else null. */
    private final FastThreadLocal<LoopWrite[]> open = new FastThreadLocal<>() {
        @Override
        protected LoopWrite[] initialValue() {
            return new LoopWrite[loops.size()];
        }
    };

    Fanout(EventLoops loops, LoopTaskQueue[] taskQueues, UserGroups groups, GatewayMetrics metrics) {
        this.loops = loops;
        this.taskQueues = taskQueues;
        this.groups = groups;
        this.metrics = metrics;
        this.flushers = new LoopFlusher[loops.size()];
        for (int i = 0; i < flushers.length; i++) {
            flushers[i] = new LoopFlusher(loops.get(i), metrics);
        }
    }

    /**
     * Queues {@code frame} to every open connection of {@code userIds}, and {@code ack} instead of it to
     * {@code ackTo} when both are non-null. Takes no ownership of either buffer: the caller releases them after.
     *
     * @param acceptedNanos when the message was accepted, on this JVM's {@link System#nanoTime()} scale
     * @return the number of connections written to
     */
    int deliver(ByteBuf frame, long[] userIds, InboxSession ackTo, ByteBuf ack, long acceptedNanos) {
        LoopWrite[] batches = open.get();
        int recipients = 0;
        for (long userId : userIds) {
            recipients += sort(batches, userId);
        }
        dispatch(batches, frame, ackTo, ack, false, acceptedNanos);
        metrics.fanout(recipients);
        return recipients;
    }

    /** Queues {@code frame}, relayed from another node, to every open connection of {@code userIds}. */
    int deliverRelayed(ByteBuf frame, long[] userIds, long acceptedNanos) {
        LoopWrite[] batches = open.get();
        int recipients = 0;
        for (long userId : userIds) {
            recipients += sort(batches, userId);
        }
        dispatch(batches, frame, null, null, true, acceptedNanos);
        return recipients;
    }

    /**
     * Queues {@code frame}, an event that is not a message ({@code TYPING}, {@code READ}: no id, no latency meter), to
     * every open connection of {@code userIds} on this node, the same way messages go (one batch per loop, nothing
     * allocated per recipient). With {@code droppable} (typing), a connection over its outbound bound is skipped
     * rather than given more: typing is the first thing shed. Takes no ownership of {@code frame}.
     *
     * @return the number of connections the frame was queued for
     */
    int deliverEvent(ByteBuf frame, long[] userIds, boolean droppable) {
        LoopWrite[] batches = open.get();
        int recipients = 0;
        for (long userId : userIds) {
            recipients += sort(batches, userId);
        }
        dispatchEvent(batches, frame, droppable);
        return recipients;
    }

    private void dispatchEvent(LoopWrite[] batches, ByteBuf frame, boolean droppable) {
        for (int i = 0; i < batches.length; i++) {
            LoopWrite batch = batches[i];
            if (batch == null) {
                continue;
            }
            batches[i] = null;
            batch.hold(frame.retainedDuplicate(), null, null, true, 0, flushers[i], taskQueues[i], groups);
            batch.event(droppable ? metrics : null);
            run(i, batch);
        }
    }

    /** Files each connection of {@code userId} under its loop's batch; returns how many. */
    private int sort(LoopWrite[] batches, long userId) {
        InboxSession[] sessions = groups.sessionsOf(userId);
        for (InboxSession s : sessions) {
            LoopWrite batch = batches[s.loopIndex()];
            if (batch == null) {
                batches[s.loopIndex()] = batch = LoopWrite.RECYCLER.get();
            }
            batch.add(s);
        }
        return sessions.length;
    }

    private void dispatch(
            LoopWrite[] batches, ByteBuf frame, InboxSession ackTo, ByteBuf ack, boolean relayed, long acceptedNanos) {
        for (int i = 0; i < batches.length; i++) {
            LoopWrite batch = batches[i];
            if (batch == null) {
                continue;
            }
            batches[i] = null;
            // The loop's own view of the frame: its recipients' duplicates retain and release this view's count,
            // on its own cache line, rather than all loops hammering the frame's at once.
            batch.hold(
                    frame.retainedDuplicate(),
                    ackTo,
                    ack == null ? null : ack.retain(),
                    relayed,
                    acceptedNanos,
                    flushers[i],
                    taskQueues[i],
                    groups);
            run(i, batch);
        }
    }

    /** Writes {@code batch} in place on its loop, else hands it to that loop's queue. */
    private void run(int loopIndex, LoopWrite batch) {
        EventLoop loop = loops.get(loopIndex);
        if (loop.inEventLoop()) {
            batch.run();
        } else if (loop.isShuttingDown()) {
            batch.abandon(); // its connections are closing with it
        } else {
            taskQueues[loopIndex].execute(batch);
        }
    }

    /** One loop's share of one message. Pooled; either written in place or run once as a task on its loop. */
    private static final class LoopWrite implements Runnable {
        /** Batches kept per routing thread; beyond it, returned batches are left to the garbage collector. */
        private static final int POOL_CAPACITY = 64;
        /** A returned batch keeps an array of at most this many references; a bigger one is dropped. */
        static final int RETAINED_CAPACITY = 8192;

        static final Recycler<LoopWrite> RECYCLER = new Recycler<>(POOL_CAPACITY) {
            @Override
            protected LoopWrite newObject(Handle<LoopWrite> handle) {
                return new LoopWrite(handle);
            }
        };

        private final Recycler.Handle<LoopWrite> handle;
        private InboxSession[] sessions = new InboxSession[16];
        private int size;
        // Set by hold() for a run on another loop; the buffers are retained for it.
        private ByteBuf frame;
        private InboxSession ackTo;
        private ByteBuf ack;
        private boolean relayed;
        private long acceptedNanos;
        private LoopFlusher flusher;
        private LoopTaskQueue queue;
        private UserGroups groups;
        /** Set by {@link #event}: the frame is an event, not a message (no latency recorded). */
        private boolean event;
        /** For a droppable event (typing): counts the recipients skipped for being unwritable; else null. */
        private GatewayMetrics droppable;

        private LoopWrite(Recycler.Handle<LoopWrite> handle) {
            this.handle = handle;
        }

        void add(InboxSession s) {
            if (size == sessions.length) {
                sessions = Arrays.copyOf(sessions, size * 2);
            }
            sessions[size++] = s;
        }

        void hold(
                ByteBuf frame,
                InboxSession ackTo,
                ByteBuf ack,
                boolean relayed,
                long acceptedNanos,
                LoopFlusher flusher,
                LoopTaskQueue queue,
                UserGroups groups) {
            this.groups = groups;
            this.frame = frame;
            this.ackTo = ackTo;
            this.ack = ack;
            this.relayed = relayed;
            this.acceptedNanos = acceptedNanos;
            this.flusher = flusher;
            this.queue = queue;
        }

        /** Marks the batch an event; {@code droppableMeters} non-null makes it skip unwritable connections. */
        void event(GatewayMetrics droppableMeters) {
            this.event = true;
            this.droppable = droppableMeters;
        }

        /** On the batch's loop: writes what {@link #hold} retained, releases it, returns to the pool. */
        @Override
        public void run() {
            try {
                writeAll();
            } finally {
                abandon();
            }
        }

        /** Releases what {@link #hold} retained and returns to the pool, without writing. */
        void abandon() {
            frame.release();
            if (ack != null) {
                ack.release();
            }
            frame = null;
            ack = null;
            ackTo = null;
            flusher = null;
            queue = null;
            groups = null;
            event = false;
            droppable = null;
            recycle();
        }

        /** On the connections' loop: queues the frame (or the ack) to each open connection of the batch. */
        private void writeAll() {
            int written = 0;
            int liveFrom = groups.liveFromEpoch(); // read once for the batch: see UserGroups#missedRelay
            for (int i = 0; i < size; i++) {
                InboxSession s = sessions[i];
                if (s == ackTo) {
                    s.admissionFinished(); // its own message reaches it now, or never (it is closing)
                }
                Channel ch = s.channel();
                if (!ch.isActive() || s.isClosing()) {
                    continue;
                }
                if (s.relayEpoch() < liveFrom) {
                    // It may have missed an event of a relay gap: a later one would carry its resume position past
                    // the missed one. It gets this one by replay after its 4002 close, if it resumes.
                    continue;
                }
                if (!ch.isWritable() && droppable != null) {
                    droppable.events().typingDropped(dev.inbox.gateway.metrics.EventMeters.TypingDrop.UNWRITABLE);
                    continue; // typing is shed first: never queued behind a connection that cannot keep up
                }
                if (!ch.isWritable()) {
                    // Over the high water mark, perhaps only with frames this iteration has not flushed yet: hand
                    // them to the socket now, and judge the reader by what the socket would not take. Past the
                    // hard cap it is closed now, not after the grace.
                    s.flushFrames();
                    if (s.overHardCap()) {
                        s.closeOverCap();
                        continue;
                    }
                }
                boolean wasWritable = ch.isWritable();
                ByteBuf out = s == ackTo && ack != null ? ack.retainedDuplicate() : frame.retainedDuplicate();
                s.writeFrame(out);
                flusher.written(s);
                written++;
                if (wasWritable && !ch.isWritable()) {
                    // This frame crossed the high water mark: hand the socket what is queued now, not at the end of
                    // the iteration. If it has not taken it (a full socket, or io_uring, whose writes happen in the
                    // loop's next I/O phase), the loop writes before it delivers more.
                    s.flushFrames();
                    if (!ch.isWritable()) {
                        queue.yieldToIo();
                    }
                }
            }
            if (!event) {
                flusher.delivered(relayed, written, acceptedNanos);
            }
        }

        void recycle() {
            if (sessions.length > RETAINED_CAPACITY) {
                sessions = new InboxSession[16];
            } else {
                Arrays.fill(sessions, 0, size, null);
            }
            size = 0;
            handle.recycle(this);
        }
    }
}
