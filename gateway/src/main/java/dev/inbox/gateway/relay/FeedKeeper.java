package dev.inbox.gateway.relay;

import dev.inbox.gateway.logging.ThrottledLog;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the resume feeds (and epochs) of the users connected here from expiring: every quarter of
 * {@code --feed-max-age} it renews both keys of each present user, and once more for the users whose last connection
 * here just closed. So a feed expires {@code --feed-max-age} after its user was last connected anywhere (three
 * quarters of it if their node died), however long a connection stays open and without the admission renewing it
 * per member and message. A renewal that fails leaves the keys to expire: the client then resumes with
 * {@code epoch_changed}, never with a gap ({@link RedisUserFeed}).
 */
final class FeedKeeper {
    private static final Logger log = LoggerFactory.getLogger(FeedKeeper.class);

    /** KEYS: feed, epoch (one slot). ARGV: age in ms. The epoch only with its feed: a feed gone took its epoch along. */
    static final String RENEW =
            "if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end return 0";

    /** Renewals in flight at once: a round of 100 000 users never crowds the queue messages need. */
    private static final int BATCH = 256;

    private final RedisLink link;
    private final RedisScript renew = new RedisScript(RENEW);
    private final byte[] ageMillis;
    private final Duration period;
    /** Whether a scheduled round is still running. */
    private final AtomicBoolean round = new AtomicBoolean();

    private final ThrottledLog failed =
            new ThrottledLog(log, "renewing resume feeds failed: those users' clients may resume with recovered:false");

    FeedKeeper(RedisLink link, Duration maxAge) {
        this.link = link;
        this.ageMillis = RedisAdmission.ascii(maxAge.toMillis());
        Duration quarter = maxAge.dividedBy(4);
        this.period = quarter.toMillis() < 10 ? Duration.ofMillis(10) : quarter;
        link.preload(renew);
    }

    /**
     * Renews the feeds of {@code present()}'s users every quarter of the age, on {@code scheduler}. A round still
     * waiting on Redis when the next is due skips it, so rounds never pile up behind a slow Redis.
     */
    void start(ScheduledExecutorService scheduler, Supplier<long[]> present) {
        long every = period.toMillis();
        scheduler.scheduleWithFixedDelay(
                () -> {
                    if (round.compareAndSet(false, true)) {
                        renew(present.get()).whenComplete((v, t) -> round.set(false));
                    }
                },
                every,
                every,
                TimeUnit.MILLISECONDS);
    }

    /** Renews these users' feeds, {@link #BATCH} at a time; completes when all were answered. Any thread. */
    CompletionStage<Void> renew(long[] users) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        next(users, 0, done);
        return done;
    }

    private void next(long[] users, int from, CompletableFuture<Void> done) {
        int to = Math.min(users.length, from + BATCH);
        if (from >= to) {
            done.complete(null);
            return;
        }
        AtomicInteger left = new AtomicInteger(to - from);
        for (int i = from; i < to; i++) {
            long user = users[i];
            link.run(
                    renew,
                    new byte[][] {RedisUserFeed.key(user, "feed"), RedisUserFeed.key(user, "epoch")},
                    new byte[][] {ageMillis},
                    (reply, failure) -> {
                        if (failure != null) {
                            failed.warn("user " + user + ": " + RedisLink.describe(failure), null);
                        }
                        if (left.decrementAndGet() == 0) {
                            next(users, to, done);
                        }
                    });
        }
    }
}
