package dev.inbox.gateway.routing;

import dev.inbox.gateway.logging.ThrottledLog;
import io.netty.channel.EventLoop;
import io.netty.util.internal.PlatformDependent;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The way into one event loop for what the router hands it from other threads: admission results and relayed
 * frames, which Lettuce's thread produces one at a time, tens of thousands a second. They queue here, in the order
 * they were handed over, and the loop runs them in one task per batch: one wake-up of a sleeping loop per batch
 * instead of one per frame. (Cross-node, with every frame its own task, the nodes spent more CPU in the kernel than
 * in Java; see benchmarks/RESULTS.md.)
 *
 * <p>Every hand-off for a conversation goes through its owner loop's task queue, so the order Redis produced replies
 * and publications in is the order they are delivered in; fan-out reaches the recipients' loops through theirs. A
 * drain runs at most {@value #BATCH} tasks, then queues itself again behind the loop's other tasks: on epoll and NIO
 * deliveries go before the loop reads more, so under overload the backlog waits in the clients' sockets. Two cases
 * wait for the loop's next I/O phase instead (a task scheduled now runs after it, where one queued with
 * {@code execute} runs in the same pass): on io_uring every drain that leaves tasks behind, and on any transport a
 * drain stopped because a write left a connection with bytes its socket has not taken ({@link #yieldToIo}). Why: on
 * io_uring a flush only queues the write, which the kernel performs in the loop's next I/O phase, so a long pass of
 * tasks holds every write back, and a burst piles up in a fast reader's outbound buffer until it passes the hard cap
 * and is closed as slow. That I/O phase also reads; what it may let in while deliveries wait is bounded per
 * connection ({@link InboxSession#MAX_ADMISSIONS_IN_FLIGHT}).
 *
 * <p>Bound: none of its own, like the loop's task queue it sits in front of; what reaches it is bounded upstream
 * (each connection's messages in flight, {@link InboxSession#MAX_ADMISSIONS_IN_FLIGHT}; per-connection rate limits,
 * connection limits, the Redis command queue). Thread-safe; tasks run on the loop.
 */
final class LoopTaskQueue implements Executor, Runnable {
    private static final Logger log = LoggerFactory.getLogger(LoopTaskQueue.class);
    private static final ThrottledLog taskFailed = new ThrottledLog(log, "a routing task failed");
    private static final int BATCH = 1024;

    private final EventLoop loop;
    /** {@link EventLoops#writesWaitForIo}: every drain that leaves tasks behind waits for the loop's I/O. */
    private final boolean writesWaitForIo;

    private final Queue<Runnable> tasks = PlatformDependent.newMpscQueue();
    /** A drain is queued on the loop or running; set by whoever queues one, cleared by the drain. */
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /** Set by {@link #yieldToIo} during a drain; the loop's thread only. */
    private boolean yieldRequested;

    LoopTaskQueue(EventLoop loop, boolean writesWaitForIo) {
        this.loop = loop;
        this.writesWaitForIo = writesWaitForIo;
    }

    /** Queues {@code task} behind everything handed over before it. Any thread. */
    @Override
    public void execute(Runnable task) {
        tasks.offer(task);
        schedule();
    }

    private void schedule() {
        if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
            try {
                loop.execute(this);
            } catch (RejectedExecutionException e) {
                // The loop is shutting down: run what is queued here, so buffers are released and results completed.
                scheduled.set(false);
                drain(Integer.MAX_VALUE, false);
            }
        }
    }

    /**
     * A write on this loop left a connection over its high water mark with bytes its socket has not taken yet: the
     * current drain stops after its task, so the loop writes before delivering more. Event loop only.
     */
    void yieldToIo() {
        yieldRequested = true;
    }

    /**
     * On the loop: runs a batch. When tasks remain and the loop should write first (see the class comment), the next
     * drain comes after its I/O, and {@link #scheduled} stays set meanwhile so producers do not queue one sooner;
     * else it lets go, and queues another drain if more arrived meanwhile.
     */
    @Override
    public void run() {
        boolean yielded = drain(BATCH, true);
        if ((yielded || writesWaitForIo) && !tasks.isEmpty()) {
            try {
                loop.schedule(this, 0, TimeUnit.NANOSECONDS);
                return;
            } catch (RejectedExecutionException e) {
                drain(Integer.MAX_VALUE, false); // the loop is shutting down: as in schedule()
            }
        }
        scheduled.set(false);
        if (!tasks.isEmpty()) {
            schedule();
        }
    }

    /** Runs up to {@code max} tasks; with {@code mayYield}, fewer when one asks to {@link #yieldToIo}, and says so. */
    private boolean drain(int max, boolean mayYield) {
        yieldRequested = false;
        for (int i = 0; i < max; i++) {
            if (mayYield && yieldRequested) {
                return true;
            }
            Runnable task = tasks.poll();
            if (task == null) {
                return false;
            }
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                taskFailed.warn("a task of this loop", e);
            }
        }
        return mayYield && yieldRequested;
    }
}
