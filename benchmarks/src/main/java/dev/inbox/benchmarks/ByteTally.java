package dev.inbox.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The far end of a sink: counts the bytes its peer channels receive and releases them, so a benchmark can wait until
 * every recipient of an operation has really been written to.
 *
 * <p>Design: one counter per peer event loop, written only by that loop (an ordered store, no read-modify-write)
 * and 128 bytes from the next, so two loops counting at once never share a cache line; a shared atomic per frame
 * would bounce between the cores and charge the gateway for it. The benchmark thread raises each loop's target for
 * the operation ({@link #expect}) and parks ({@link #await}); the loop whose count reaches its target decrements one
 * shared countdown, once per operation, and the last one unparks the benchmark thread. Parking rather than
 * spinning: on a 2-core machine a spinning waiter takes a core from the loops it is waiting for. The price is one
 * unpark per operation (a few microseconds of wake-up, visible at small N).
 *
 * <p>Counting bytes, not frames, because TCP coalesces frames and Netty's WebSocket encoder may split one frame into
 * a header and a payload buffer. Every frame of one operation has the same length, so the expected total is known.
 */
final class ByteTally {
    /** Slots 16 longs (128 bytes) apart: adjacent-line prefetch pairs 64-byte lines. */
    private static final int STRIDE = 16;

    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final EventLoop[] loops;
    private final Counter[] counters;
    /** Per loop: bytes received, written by that loop only. */
    private final AtomicLongArray received;
    /** Per loop: bytes it must have received when the current operation is complete; set by the benchmark thread. */
    private final AtomicLongArray targets;
    /** Loops still short of their target in the current operation. */
    private final AtomicInteger pending = new AtomicInteger();
    /** Peer connections per loop; benchmark thread only. */
    private final int[] connections;

    private volatile Thread waiter;

    ByteTally(EventLoopGroup peerLoops) {
        List<EventLoop> all = new ArrayList<>();
        for (EventExecutor e : peerLoops) {
            all.add((EventLoop) e);
        }
        this.loops = all.toArray(new EventLoop[0]);
        this.received = new AtomicLongArray(loops.length * STRIDE);
        this.targets = new AtomicLongArray(loops.length * STRIDE);
        this.counters = new Counter[loops.length];
        for (int i = 0; i < loops.length; i++) {
            counters[i] = new Counter(this, i * STRIDE);
        }
        this.connections = new int[loops.length];
    }

    /** The counting handler for a peer channel on {@code loop}; shared by every peer on it. */
    ChannelHandler counterFor(EventLoop loop) {
        return counters[indexOf(loop)];
    }

    /** Counts {@code bytes} written on {@code loop}'s channels. On that loop only. */
    Counter counterOf(EventLoop loop) {
        return counters[indexOf(loop)];
    }

    /** Records that a peer on {@code loop} is connected, so each operation expects its frame there. Setup only. */
    void peerOpened(EventLoop loop) {
        connections[indexOf(loop)]++;
    }

    /**
     * The next operation writes one frame of {@code frameBytes} to every peer. Benchmark thread only, before the
     * operation starts and after the previous one completed.
     */
    void expect(long frameBytes) {
        int loopsToWaitFor = 0;
        for (int i = 0; i < connections.length; i++) {
            if (connections[i] > 0) {
                loopsToWaitFor++;
            }
        }
        pending.set(loopsToWaitFor);
        for (int i = 0; i < connections.length; i++) {
            int slot = i * STRIDE;
            targets.set(slot, targets.get(slot) + frameBytes * connections[i]);
        }
    }

    /**
     * Waits until every peer has received what {@link #expect} announced. Benchmark thread only.
     *
     * @param operations complete exceptionally if an operation failed, which ends the wait with its cause
     * @throws IllegalStateException after 10 s without the bytes: a frame length or the routing is wrong
     */
    void await(CompletableFuture<?>... operations) {
        waiter = Thread.currentThread();
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while (pending.get() != 0) {
            for (CompletableFuture<?> operation : operations) {
                if (operation.isCompletedExceptionally()) {
                    operation.join(); // throws the failure
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("sink: operation not delivered within 10 s: " + this);
            }
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** Throws if any peer received more or less than announced: a stray frame, or a lost one. */
    void assertSettled() {
        for (int i = 0; i < connections.length; i++) {
            if (received.get(i * STRIDE) != targets.get(i * STRIDE)) {
                throw new IllegalStateException("sink: bytes received differ from bytes sent: " + this);
            }
        }
    }

    @Override
    public String toString() {
        long[] got = new long[loops.length];
        long[] expected = new long[loops.length];
        for (int i = 0; i < got.length; i++) {
            got[i] = received.get(i * STRIDE);
            expected[i] = targets.get(i * STRIDE);
        }
        return "ByteTally[connections per loop=" + Arrays.toString(connections) + ", expected bytes="
                + Arrays.toString(expected) + ", received bytes=" + Arrays.toString(got) + "]";
    }

    private int indexOf(EventLoop loop) {
        for (int i = 0; i < loops.length; i++) {
            if (loops[i] == loop) {
                return i;
            }
        }
        throw new IllegalArgumentException("not a peer loop of this sink: " + loop);
    }

    /** On a loop: {@code bytes} more arrived there. */
    private void received(int slot, int bytes) {
        long before = received.get(slot);
        long after = before + bytes;
        received.lazySet(slot, after); // one writer per slot: an ordered store, no atomic read-modify-write
        long target = targets.get(slot);
        if (before < target && after >= target && pending.decrementAndGet() == 0) {
            LockSupport.unpark(waiter);
        }
    }

    /** Counts and releases everything one loop's peers read; or, called directly, what one loop's channels wrote. */
    @ChannelHandler.Sharable
    static final class Counter extends ChannelInboundHandlerAdapter {
        private final ByteTally tally;
        private final int slot;

        Counter(ByteTally tally, int slot) {
            this.tally = tally;
            this.slot = slot;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            int bytes = msg instanceof ByteBuf b
                    ? b.readableBytes()
                    : msg instanceof ByteBufHolder h ? h.content().readableBytes() : 0;
            ReferenceCountUtil.release(msg);
            tally.received(slot, bytes);
        }

        /** {@code bytes} more arrived. On this counter's loop only. */
        void count(int bytes) {
            tally.received(slot, bytes);
        }
    }
}
