package dev.inbox.gateway.relay;

import dev.inbox.gateway.config.ConfigException;
import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.health.Readiness;
import dev.inbox.gateway.history.ConversationHistory;
import dev.inbox.gateway.history.NoHistory;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.metrics.OutboxMeters;
import dev.inbox.gateway.routing.Admission;
import dev.inbox.gateway.routing.ConversationRouter;
import dev.inbox.gateway.routing.Membership;
import dev.inbox.gateway.routing.Relay;
import dev.inbox.gateway.routing.UserFeed;
import dev.inbox.gateway.routing.UserGroups;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Relay} of a node that is one of many, through Redis. Its parts, wired: Redis-backed {@link Admission} and
 * {@link Membership}, the node's reachability for its users that follows {@link UserGroups}, and the receiver that
 * feeds relayed frames to the router. {@code /readyz} turns not-ready while Redis is unreachable, and until its users
 * are registered again after it comes back, so load balancers send new users elsewhere; the connections open meanwhile
 * are then closed (4002, {@link RelayGaps}).
 */
public final class RedisRelay implements Relay {
    private static final Logger log = LoggerFactory.getLogger(RedisRelay.class);

    private final long nodeId = new SecureRandom().nextLong();
    private final RelayReceiver receiver;
    /** Whether Redis answered last; any thread. */
    private volatile boolean reachable;

    private final ScheduledExecutorService subscriber = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "inbox-relay-subscriptions");
        t.setDaemon(true);
        return t;
    });
    private final RedisLink link;
    private final UserChannels channels;
    private final RedisAdmission admission;
    private final RedisMembership membership;
    /** The resume feed; null with {@code --feed-max-length 0} (docs/protocol.md, "Resume"). */
    private final RedisUserFeed feed;
    /** Renews the feeds of the users connected here; null with {@code --feed-max-length 0}. */
    private final FeedKeeper keeper;

    private final UserGroups groups;

    private final ConversationHistory history;
    private final RedisReadPositions readPositions;
    private final RelayGaps gaps;
    /** How long to wait before trying a failed resubscription again. */
    private final Duration retry;

    private final OutboxRegistration registration;
    /** Trims the outbox and refreshes its meters; {@code null} when the outbox is off. */
    private final OutboxJanitor janitor;
    /** How long {@link #start} waits for the partition check before going on without it. */
    private final Duration startCheck;

    /** A relay without history (the benchmarks of the relay alone). */
    public RedisRelay(
            GatewayConfig.Redis config, UserGroups groups, Readiness readiness, boolean dev, GatewayMetrics metrics) {
        this(
                config,
                new GatewayConfig.History(false, 1, Duration.ofHours(1), 1, 1),
                new GatewayConfig.Resume(1000, Duration.ofHours(1), 1000, 64, 10_000, Duration.ofSeconds(5), 1000),
                groups,
                readiness,
                dev,
                GatewayConfig.Dedup.OFF,
                metrics);
    }

    /** @param dedup how long a {@code client_msg_id} is remembered (its keys live in Redis; the entry cap is moot) */
    public RedisRelay(
            GatewayConfig.Redis config,
            GatewayConfig.History history,
            GatewayConfig.Resume resume,
            UserGroups groups,
            Readiness readiness,
            boolean dev,
            GatewayConfig.Dedup dedup,
            GatewayMetrics metrics) {
        this.receiver = new RelayReceiver(nodeId, metrics);
        this.groups = groups;
        this.gaps = new RelayGaps(groups, readiness, metrics, config.gapWindow());
        this.retry = config.pingInterval();
        // Connect, load the scripts, check: each bounded by the timeout.
        this.startCheck = config.timeout().multipliedBy(3);
        metrics.redisGauge(() -> reachable ? 1 : 0);
        RedisKeys keys = new RedisKeys(config.outbox().partitions());
        this.registration = new OutboxRegistration(
                keys, config.outbox().enabled(), readiness, () -> onSubscriber(this::checkPartitionsLater));
        RedisLink.Events events = new RedisLink.Events() {
            @Override
            public void reachability(String problem) {
                reachable = problem == null;
                readiness.set("redis", problem);
                if (problem != null && !problem.equals(RedisLink.NOT_CONNECTED_YET)) {
                    registration.unreachable();
                }
            }

            @Override
            public void interrupted() {
                gaps.interrupted();
            }

            @Override
            public void connected() {
                registration.check(link);
                resubscribe(gaps.reconnected());
            }
        };
        this.link = config.target().cluster()
                ? new ClusterRedisLink(config, receiver, events)
                : new StandaloneRedisLink(config, receiver, events, new NodeRegistry(nodeId));
        this.keeper = resume.feedMaxLength() > 0 ? new FeedKeeper(link, resume.feedMaxAge()) : null;
        this.channels = new UserChannels(groups, link, subscriber, keeper == null ? users -> {} : keeper::renew);
        groups.presenceListener(channels);
        groups.joinListener(gaps);
        OutboxMeters outboxMeters = config.outbox().enabled() ? metrics.outbox() : null;
        this.admission = new RedisAdmission(
                link,
                keys,
                config.outbox(),
                resume,
                outboxMeters,
                history,
                nodeId,
                dev,
                metrics,
                config.timeout(),
                config.queueSize(),
                config.maxLatency(),
                dedup.window());
        this.feed = resume.feedMaxLength() > 0 ? new RedisUserFeed(link, channels, resume.feedMaxAge()) : null;
        this.membership = new RedisMembership(link, keys);
        this.readPositions = new RedisReadPositions(link, keys, config.outbox());
        link.preload(publishEventScript);
        this.history = history.enabled() ? new RedisConversationHistory(link, keys) : NoHistory.INSTANCE;
        this.janitor = config.outbox().enabled()
                ? new OutboxJanitor(link, keys, config.outbox(), outboxMeters, config.timeout())
                : null;
    }

    /**
     * KEYS: none. ARGV: 1 the envelope, 2... the user ids. Publishes one event to the nodes of those users in one round
     * trip on a standalone Redis ({@link NodeRegistry}): not the admission script, nothing stored.
     */
    private static final String PUBLISH_EVENT = NodeRegistry.PUBLISH_TO_NODES + """
            local users = {}
            for i = 2, #ARGV do users[#users + 1] = ARGV[i] end
            publish_to_nodes(users, ARGV[1])
            return #users
            """;

    private final RedisScript publishEventScript = new RedisScript(PUBLISH_EVENT);

    /**
     * Typing and READ events to the members: one script call to their nodes on a standalone Redis, one sharded publish
     * per channel on a cluster. Typing is shed here while Redis is unreachable or the node's admissions crowd its
     * queue.
     */
    @Override
    public boolean publishEvent(long conversationId, long[] userIds, io.netty.buffer.ByteBuf frame, boolean droppable) {
        if (droppable && crowded()) {
            return false;
        }
        byte[] envelope = RelayEnvelope.encode(
                droppable ? RelayEnvelope.TYPING : RelayEnvelope.READ,
                nodeId,
                conversationId,
                System.currentTimeMillis(),
                frame);
        if (link.scriptPublishes()) {
            byte[][] args = new byte[userIds.length + 1][];
            args[0] = envelope;
            for (int i = 0; i < userIds.length; i++) {
                args[i + 1] = RedisAdmission.ascii(userIds[i]);
            }
            link.run(publishEventScript, new byte[0][], args, (reply, failure) -> {
                // A lost event is not worth a retry: typing expires by itself, and READS answers from the store.
            });
        } else {
            for (long userId : userIds) {
                link.publish(RedisKeys.userChannel(userId), envelope);
            }
        }
        return true;
    }

    @Override
    public boolean crowded() {
        return !reachable || admission.crowded();
    }

    /** Where read positions are kept: beside each conversation's keys. */
    public dev.inbox.gateway.receipts.ReadPositions readPositions() {
        return readPositions;
    }

    /** A partition check Redis did not answer: tried again after the ping interval, on the subscriptions thread. */
    private void checkPartitionsLater() {
        subscriber.schedule(() -> registration.check(link), retry.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Subscribes every user present on the new connection of gap {@code epoch}; once Redis has them all, the gap
     * ends (see {@link RelayGaps}). A failure while the gap still waits for it is retried; a new gap retries by
     * itself. The outcome is handled on the subscriptions thread, not Lettuce's.
     */
    private void resubscribe(int epoch) {
        channels.resubscribeAll()
                .whenCompleteAsync(
                        (v, failure) -> {
                            if (failure == null) {
                                gaps.resubscribed(epoch);
                            } else if (gaps.resubscribing(epoch)) {
                                log.warn(
                                        "resubscribing after a reconnect failed ({}); retrying in {} ms",
                                        RedisLink.describe(failure),
                                        retry.toMillis());
                                subscriber.schedule(() -> resubscribe(epoch), retry.toMillis(), TimeUnit.MILLISECONDS);
                            }
                        },
                        this::onSubscriber);
    }

    private void onSubscriber(Runnable task) {
        try {
            subscriber.execute(task);
        } catch (RejectedExecutionException e) {
            // Closed: nothing to resubscribe any more.
        }
    }

    /**
     * Connects to Redis (in the background when it is not there yet) and, if it answers, checks the outbox partitions
     * against it before returning.
     *
     * @throws ConfigException when Redis holds another number of outbox partitions
     */
    @Override
    public void start(ConversationRouter router) throws ConfigException, InterruptedException {
        receiver.router(router);
        link.start();
        if (janitor != null) {
            janitor.start();
        }
        if (keeper != null) {
            keeper.start(subscriber, groups::presentUsers);
        }
        String mismatch = registration.awaitFirst(startCheck);
        if (mismatch != null) {
            throw new ConfigException(mismatch);
        }
    }

    @Override
    public Admission admission() {
        return admission;
    }

    @Override
    public Membership membership() {
        return membership;
    }

    @Override
    public UserFeed feed() {
        return feed;
    }

    @Override
    public ConversationHistory history() {
        return history;
    }

    @Override
    public void close() {
        if (janitor != null) {
            janitor.close();
        }
        link.close();
        subscriber.shutdownNow();
    }
}
