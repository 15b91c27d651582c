package dev.inbox.gateway.server;

import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.health.Readiness;
import dev.inbox.gateway.routing.SpreadCloses;
import dev.inbox.gateway.routing.UserGroups;
import dev.inbox.protocol.CloseCode;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SIGTERM timeline, for load balancers in front of many nodes:
 * <ol>
 *   <li>at once, {@code /readyz} answers 503 ("draining"), so the balancer stops sending new users here;</li>
 *   <li>after {@code --drain-delay} (time for the balancer's health check to notice), new upgrades get 503;</li>
 *   <li>over the next {@code --drain-window}, open connections are closed with 1001 (going away: reconnect), each at
 *       an even share of the window plus jitter, so clients reconnect to the other nodes without a storm; a close
 *       frame is written after everything already queued on that connection, so nothing queued is dropped;</li>
 *   <li>the node stops when the last connection is gone, and at {@code --drain-deadline} at the latest.</li>
 * </ol>
 * Runs on the signal's own thread, never on an event loop; waiting for the timeline's points is its job.
 */
final class Drain {
    private static final Logger log = LoggerFactory.getLogger(Drain.class);

    private final GatewayConfig.Drain timeline;
    private final Readiness readiness;
    private final UserGroups groups;
    /** Read by every handshake. */
    private volatile boolean refusingUpgrades;

    Drain(GatewayConfig.Drain timeline, Readiness readiness, UserGroups groups) {
        this.timeline = timeline;
        this.readiness = readiness;
        this.groups = groups;
    }

    /** Whether new upgrades are refused. */
    boolean refusingUpgrades() {
        return refusingUpgrades;
    }

    /** Runs steps 1 to 3 and waits for the connections to go, until the deadline. */
    void run() {
        long start = System.nanoTime();
        long deadline = start + timeline.deadline().toNanos();
        long window = timeline.window().toNanos();
        readiness.notReady("draining");
        log.info(
                "draining: not ready; refusing upgrades in {} ms, closing {} connections over {} ms",
                timeline.delay().toMillis(),
                groups.connectionCount(),
                timeline.window().toMillis());
        LockSupport.parkNanos(timeline.delay().toNanos());
        refusingUpgrades = true;

        SpreadCloses.over(groups.allSessions(), window, CloseCode.GOING_AWAY, s -> true);
        // Leave a tenth of what remains after the window for the stop itself.
        long waitUntil = deadline - (deadline - start - timeline.delay().toNanos() - window) / 10;
        while (groups.connectionCount() > 0 && System.nanoTime() < waitUntil) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        log.info(
                "drained: {} connections left after {} ms",
                groups.connectionCount(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }
}
