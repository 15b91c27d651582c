package dev.inbox.gateway.routing;

import dev.inbox.protocol.CloseCode;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Closes many connections spread over a window, so their clients do not all come back in the same moment (to the
 * load balancer, the auth backend, the other nodes): connection {@code i} of {@code n} at an even share of the window
 * plus jitter within that share, on its own event loop, where the close frame is written after everything already
 * queued to it. The drain's 1001 and the relay's 4002 both go out this way.
 */
public final class SpreadCloses {
    private SpreadCloses() {}

    /**
     * Schedules the closes and returns at once. Each connection is checked against {@code stillDue} on its loop
     * when its turn comes (it may have left, or no longer need closing); one on a loop that is shutting down is
     * passed over, since it is closing with its loop.
     */
    public static void over(
            List<InboxSession> sessions, long windowNanos, CloseCode code, Predicate<InboxSession> stillDue) {
        int n = sessions.size();
        long share = n == 0 ? 0 : windowNanos / n;
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < n; i++) {
            InboxSession s = sessions.get(i);
            long at = share * i + (share > 0 ? random.nextLong(share) : 0);
            try {
                s.channel()
                        .eventLoop()
                        .schedule(
                                () -> {
                                    if (stillDue.test(s)) {
                                        s.close(code);
                                    }
                                },
                                at,
                                TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                // Its loop is shutting down, and the connection with it.
            }
        }
    }
}
