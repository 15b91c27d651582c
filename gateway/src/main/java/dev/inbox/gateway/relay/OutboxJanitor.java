package dev.inbox.gateway.relay;

import dev.inbox.gateway.config.GatewayConfig;
import dev.inbox.gateway.metrics.OutboxMeters;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the outbox within its bounds and its meters current, every {@code --outbox-janitor-interval}, on a thread of
 * its own (never an event loop; it may wait for Redis). One script per partition stream, atomic on the stream's
 * shard:
 * <ol>
 *   <li>trims what every consumer group has acknowledged: below the oldest entry some group still has pending, or
 *       past the last one it was delivered when nothing is pending; with no group, nothing is trimmed this way;
 *   <li>trims what is older than {@code --outbox-max-age} (stream ids are Redis's clock in ms). After step 1
 *       whatever that removes some group never acknowledged: a loss for that backend, counted as expired;
 *   <li>reports the stream's length and, per group, its lag (entries not yet delivered) and pending count.
 * </ol>
 * Every node does this for every stream; the trims are idempotent, and each node's gauges show the same cluster-wide
 * values. A group whose lag Redis cannot tell (nil after deletions inside its unread range) counts as entries added
 * minus entries read when Redis knows the latter, else as the stream's whole length: an upper bound.
 */
final class OutboxJanitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OutboxJanitor.class);

    /** KEYS[1]: the stream. ARGV[1]: the max age in ms. Reply: {length, expired, acked, group, lag, pending, ...}. */
    static final String SCRIPT = """
            if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0, 0} end
            local function parse(id)
              local dash = string.find(id, '-', 1, true)
              return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
            end
            local function fields(flat)
              local t = {}
              for j = 1, #flat, 2 do t[flat[j]] = flat[j + 1] end
              return t
            end
            local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
            local out = {}
            local safe_ms, safe_seq, added
            for i = 1, #groups do
              local g = fields(groups[i])
              local ms, seq
              if g['pending'] > 0 then
                ms, seq = parse(redis.call('XPENDING', KEYS[1], g['name'])[2])
              else
                ms, seq = parse(g['last-delivered-id'])
                seq = seq + 1
              end
              if not safe_ms or ms < safe_ms or (ms == safe_ms and seq < safe_seq) then
                safe_ms, safe_seq = ms, seq
              end
              local lag = g['lag']
              if not lag then
                if g['entries-read'] then
                  added = added or fields(redis.call('XINFO', 'STREAM', KEYS[1]))['entries-added']
                  lag = added - g['entries-read']
                else
                  lag = redis.call('XLEN', KEYS[1])
                end
              end
              table.insert(out, g['name'])
              table.insert(out, lag)
              table.insert(out, g['pending'])
            end
            local acked = 0
            if safe_ms then
              acked = redis.call('XTRIM', KEYS[1], 'MINID', string.format('%.0f-%.0f', safe_ms, safe_seq))
            end
            local time = redis.call('TIME')
            local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
            local oldest = math.max(0, now - tonumber(ARGV[1]))
            local expired = redis.call('XTRIM', KEYS[1], 'MINID', string.format('%.0f', oldest))
            local reply = {redis.call('XLEN', KEYS[1]), expired, acked}
            for i = 1, #out do table.insert(reply, out[i]) end
            return reply
            """;

    private final RedisLink link;
    private final RedisKeys keys;
    private final OutboxMeters meters;
    private final RedisScript script = new RedisScript(SCRIPT);
    private final byte[] maxAgeMillis;
    private final Duration interval;
    /** How long one sweep waits for all its replies. */
    private final Duration patience;

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "inbox-outbox-janitor");
        t.setDaemon(true);
        return t;
    });

    OutboxJanitor(RedisLink link, RedisKeys keys, GatewayConfig.Outbox outbox, OutboxMeters meters, Duration timeout) {
        this.link = link;
        this.keys = keys;
        this.meters = meters;
        this.maxAgeMillis = RedisAdmission.ascii(outbox.maxAge().toMillis());
        this.interval = outbox.janitorInterval();
        this.patience = timeout.multipliedBy(2);
        link.preload(script);
    }

    void start() {
        long ms = interval.toMillis();
        thread.scheduleWithFixedDelay(this::sweepLogged, ms, ms, TimeUnit.MILLISECONDS);
    }

    private void sweepLogged() {
        try {
            sweep();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing
        } catch (RuntimeException e) {
            // Redis away or slow: the next sweep tries again; the gauges keep the last values they had.
            log.debug("outbox sweep incomplete: {}", RedisLink.describe(e));
        }
    }

    /** One pass over every partition; waits for the replies (this thread only). */
    void sweep() throws InterruptedException {
        int n = keys.partitions();
        @SuppressWarnings("unchecked")
        CompletableFuture<List<Object>>[] replies = new CompletableFuture[n];
        for (int k = 0; k < n; k++) {
            replies[k] = link.run(script, new byte[][] {keys.stream(k)}, maxAgeMillis)
                    .toCompletableFuture();
        }
        try {
            CompletableFuture.allOf(replies).get(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // Count what did come back as trimmed, so no expiry goes uncounted; leave the gauges as they were.
            for (CompletableFuture<List<Object>> r : replies) {
                if (r.isDone() && !r.isCompletedExceptionally()) {
                    meters.expired((Long) r.join().get(1));
                }
            }
            throw new IllegalStateException("not every partition answered", e);
        }
        long entries = 0;
        long expired = 0;
        SortedMap<String, long[]> groups = new TreeMap<>();
        for (CompletableFuture<List<Object>> r : replies) {
            List<Object> reply = r.join();
            entries += (Long) reply.get(0);
            expired += (Long) reply.get(1);
            for (int i = 3; i + 2 < reply.size(); i += 3) {
                long[] sums = groups.computeIfAbsent(
                        new String((byte[]) reply.get(i), StandardCharsets.UTF_8), g -> new long[2]);
                sums[0] += (Long) reply.get(i + 1);
                sums[1] += (Long) reply.get(i + 2);
            }
        }
        if (expired > 0) {
            log.warn(
                    "outbox: {} entries older than the age bound expired before every consumer group acknowledged them",
                    expired);
            meters.expired(expired);
        }
        meters.polled(entries, groups);
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
