package dev.inbox.gateway.relay;

import dev.inbox.gateway.health.Readiness;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Agrees the number of outbox partitions with Redis on every new connection, before the node reports ready from
 * Redis's side: {@code SET inbox:outbox:partitions N NX}, read it back, and (outbox on) add the partition streams
 * to {@code inbox:outbox:streams} for backends to find. The count matters with the outbox off too: it places the
 * conversations' keys. Another number there means every conversation's keys live
 * under other tags ({@link RedisKeys}): this node would see none of the memberships and give ids from other counters,
 * so it must not serve. At start that stops the node ({@link #awaitFirst}); later, it keeps the node not-ready.
 *
 * <p>Runs on Lettuce's threads (the replies) and whichever thread reports a connection; it only sets readiness and
 * logs.
 */
final class OutboxRegistration {
    private static final Logger log = LoggerFactory.getLogger(OutboxRegistration.class);
    static final String CONDITION = "outbox-partitions";

    private final RedisKeys keys;
    /** Whether to list the streams for backends: only when messages are written to them. */
    private final boolean listStreams;

    private final Readiness readiness;
    /** Tries a failed check again later, off Lettuce's threads. */
    private final Runnable retryLater;
    /** The first check's verdict: {@code null} when fine or not known (Redis away), else what is wrong. */
    private final CompletableFuture<String> first = new CompletableFuture<>();
    /** Numbers the checks, so only the latest one's outcome counts. */
    private final AtomicInteger checks = new AtomicInteger();

    OutboxRegistration(RedisKeys keys, boolean listStreams, Readiness readiness, Runnable retryLater) {
        this.keys = keys;
        this.listStreams = listStreams;
        this.readiness = readiness;
        this.retryLater = retryLater;
        readiness.set(CONDITION, "outbox partitions not checked against redis yet");
    }

    /** Checks on {@code link}'s current connection; returns at once. Call on every new connection. */
    void check(RedisLink link) {
        RedisClusterAsyncCommands<byte[], byte[]> redis = link.commands();
        if (redis == null) {
            return;
        }
        int check = checks.incrementAndGet();
        readiness.set(CONDITION, "checking the outbox partitions against redis");
        byte[] ours = RedisAdmission.ascii(keys.partitions());
        byte[] countKey = ascii(RedisKeys.PARTITIONS);
        CompletionStage<String> verdict;
        try {
            verdict = redis.set(countKey, ours, SetArgs.Builder.nx())
                    .thenCompose(set -> redis.get(countKey))
                    .thenCompose(stored -> {
                        String mismatch = mismatch(stored);
                        if (mismatch != null || !listStreams) {
                            return CompletableFuture.completedFuture(mismatch);
                        }
                        byte[][] streams = new byte[keys.partitions()][];
                        for (int k = 0; k < streams.length; k++) {
                            streams[k] = keys.stream(k);
                        }
                        return redis.sadd(ascii(RedisKeys.STREAMS), streams).thenApply(added -> null);
                    });
        } catch (RuntimeException e) {
            verdict = CompletableFuture.failedFuture(e);
        }
        verdict.whenComplete((mismatch, failure) -> {
            if (check != checks.get()) {
                return; // a newer connection's check decides
            }
            if (failure != null) {
                log.warn("outbox partitions not checked ({}); trying again", RedisLink.describe(failure));
                readiness.set(CONDITION, "outbox partitions not checked: redis did not answer");
                retryLater.run();
            } else if (mismatch != null) {
                log.error("{}; this node stays not ready", mismatch);
                readiness.set(CONDITION, mismatch);
                first.complete(mismatch);
            } else {
                readiness.set(CONDITION, null);
                first.complete(null);
            }
        });
    }

    /** Redis could not be reached: the node starts without a verdict, and the check runs once it connects. */
    void unreachable() {
        first.complete(null);
    }

    /**
     * Waits up to {@code most} for the first verdict.
     *
     * @return what is wrong, or {@code null} when the count agrees or Redis has not answered yet
     */
    String awaitFirst(Duration most) throws InterruptedException {
        try {
            return first.get(most.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return null;
        }
    }

    /** What is wrong with the count Redis holds, or {@code null} when it is ours. */
    private String mismatch(byte[] stored) {
        String theirs = stored == null ? "nothing" : new String(stored, StandardCharsets.US_ASCII);
        if (theirs.equals(Integer.toString(keys.partitions()))) {
            return null;
        }
        return "outbox-partitions: " + keys.partitions() + " (expected: " + theirs + ", the number "
                + RedisKeys.PARTITIONS + " in Redis holds; every node on one Redis must use the same number, since"
                + " changing it re-homes every conversation's keys)";
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
