package dev.inbox.gateway.relay;

import dev.inbox.gateway.admin.Readiness;
import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.routing.Admission;
import dev.inbox.gateway.routing.ConversationRouter;
import dev.inbox.gateway.routing.Membership;
import dev.inbox.gateway.routing.UserGroups;

import java.security.SecureRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The clustered node's parts, wired: Redis-backed {@link Admission} and {@link Membership}, the user-channel
 * subscriptions that follow {@link UserGroups}, and the receiver that feeds relayed frames to the router.
 * {@code /readyz} turns not-ready while Redis is unreachable, so load balancers send new users elsewhere.
 */
public final class RedisRelay implements AutoCloseable {
    private final long nodeId = new SecureRandom().nextLong();
    private final RelayReceiver receiver;
    /** Whether Redis answered last; any thread. */
    private volatile boolean reachable;
    private final ExecutorService subscriber = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "inbox-relay-subscriptions");
        t.setDaemon(true);
        return t;
    });
    private final RedisLink link;
    private final UserChannels channels;
    private final RedisAdmission admission;
    private final RedisMembership membership;

    public RedisRelay(GatewayConfig.Redis config, UserGroups groups, Readiness readiness, boolean dev,
                      GatewayMetrics metrics) {
        this.receiver = new RelayReceiver(nodeId, metrics);
        metrics.redisGauge(() -> reachable ? 1 : 0);
        UserChannels[] later = new UserChannels[1];
        RedisLink.Events events = new RedisLink.Events() {
            @Override
            public void reachability(String problem) {
                reachable = problem == null;
                readiness.set("redis", problem);
            }

            @Override
            public void connected() {
                if (later[0] != null) {
                    later[0].resubscribeAll();
                }
            }
        };
        this.link = config.cluster() ? new ClusterRedisLink(config, receiver, events)
                : new StandaloneRedisLink(config, receiver, events);
        this.channels = new UserChannels(groups, link, subscriber);
        later[0] = channels;
        groups.presenceListener(channels);
        this.admission = new RedisAdmission(link, nodeId, dev, metrics, config.timeout());
        this.membership = new RedisMembership(link);
    }

    /** Connects to Redis (in the background when it is not there yet). */
    public void start(ConversationRouter router) {
        receiver.router(router);
        link.start();
    }

    public Admission admission() {
        return admission;
    }

    public Membership membership() {
        return membership;
    }

    @Override
    public void close() {
        link.close();
        subscriber.shutdownNow();
    }
}
