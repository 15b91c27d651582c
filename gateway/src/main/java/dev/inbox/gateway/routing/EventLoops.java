package dev.inbox.gateway.routing;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;

/**
 * The public port's event loops as a fixed array, so a connection can be filed under its loop's index and a
 * conversation can be given an owner loop by its id.
 */
public final class EventLoops {
    private final EventLoop[] loops;
    private final boolean writesWaitForIo;

    public EventLoops(EventLoopGroup group) {
        List<EventLoop> all = new ArrayList<>();
        for (EventExecutor e : group) {
            all.add((EventLoop) e);
        }
        this.loops = all.toArray(new EventLoop[0]);
        this.writesWaitForIo = loops[0] instanceof IoEventLoop io && io.isCompatible(IoUringIoHandle.class);
    }

    /**
     * Whether a flush only queues the write, for the loop's next I/O phase to perform (io_uring), rather than writing
     * to the socket at once (epoll, NIO): then a loop must not run tasks for long between I/O phases.
     */
    public boolean writesWaitForIo() {
        return writesWaitForIo;
    }

    public int size() {
        return loops.length;
    }

    public EventLoop get(int index) {
        return loops[index];
    }

    /** The index of {@code loop}; an identity scan over a handful of loops, done once per connection. */
    public int indexOf(EventLoop loop) {
        for (int i = 0; i < loops.length; i++) {
            if (loops[i] == loop) {
                return i;
            }
        }
        throw new IllegalArgumentException("not a loop of the public group: " + loop);
    }

    /**
     * The loop that routes {@code conversationId}: ids, encoding and dispatch for one conversation run on one
     * thread, in one order.
     */
    public EventLoop ownerOf(long conversationId) {
        return loops[ownerIndexOf(conversationId)];
    }

    /** The index of {@link #ownerOf}. */
    public int ownerIndexOf(long conversationId) {
        long mixed = conversationId * 0x9E3779B97F4A7C15L; // spread sequential ids over the loops
        return (int) Math.floorMod(mixed >>> 32, loops.length);
    }
}
