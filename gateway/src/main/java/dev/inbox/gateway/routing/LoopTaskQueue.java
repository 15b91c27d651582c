package dev.inbox.gateway.routing;

import dev.inbox.gateway.logging.ThrottledLog;
import io.netty.channel.EventLoop;
import io.netty.util.internal.PlatformDependent;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
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
 * and publications in is the order they are delivered in. A drain runs at most {@value #BATCH} tasks, then yields to
 * the loop's I/O and queues itself again.
 *
 * <p>Bound: none of its own, like the loop's task queue it sits in front of; what reaches it is bounded upstream
 * (per-connection rate limits, connection limits, the Redis command queue). Thread-safe; tasks run on the loop.
 */
final class LoopTaskQueue implements Executor, Runnable {
    private static final Logger log = LoggerFactory.getLogger(LoopTaskQueue.class);
    private static final ThrottledLog taskFailed = new ThrottledLog(log, "a routing task failed");
    private static final int BATCH = 1024;

    private final EventLoop loop;
    private final Queue<Runnable> tasks = PlatformDependent.newMpscQueue();
    /** A drain is queued on the loop or running; set by whoever queues one, cleared by the drain. */
    private final AtomicBoolean scheduled = new AtomicBoolean();

    LoopTaskQueue(EventLoop loop) {
        this.loop = loop;
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
                drain(Integer.MAX_VALUE);
            }
        }
    }

    /** On the loop: runs a batch, then lets go; queues another drain if more arrived meanwhile. */
    @Override
    public void run() {
        drain(BATCH);
        scheduled.set(false);
        if (!tasks.isEmpty()) {
            schedule();
        }
    }

    private void drain(int max) {
        for (int i = 0; i < max; i++) {
            Runnable task = tasks.poll();
            if (task == null) {
                return;
            }
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                taskFailed.warn("a task of this loop", e);
            }
        }
    }
}
