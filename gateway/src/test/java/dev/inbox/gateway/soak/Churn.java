package dev.inbox.gateway.soak;

import dev.inbox.testkit.GatewayProcess;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongFunction;

/**
 * The churning population: connections opened at a steady rate, alternately on each node, that chat for a random
 * life (one to {@code churnMessagesMax} messages to their conversations), wait for every answer, close normally and
 * give their user back. Each churn user holds one connection at a time, so the per-user limit never interferes and
 * the gateway subscribes and unsubscribes user channels all the time.
 *
 * <p>Every decision (who, where, how long, how many) is made on the timer thread from one seeded random, so a run
 * can be repeated; the I/O is asynchronous, so the timer never waits for the network.
 */
final class Churn {
    private static final Duration ANSWER_BOUND = Duration.ofSeconds(15);
    private static final Duration CLOSE_BOUND = Duration.ofSeconds(10);

    private final SoakSettings settings;
    private final List<GatewayProcess> nodes;
    private final List<HttpClient> clients;
    private final Ledger ledger;
    private final Map<Long, long[]> conversationsOf;
    private final LongFunction<String> tokens;
    private final ScheduledExecutorService timer;
    private final SplittableRandom random;
    private final String padding;
    /** Users without a connection; timer thread only. */
    private final ArrayDeque<Long> free;

    private final AtomicInteger live = new AtomicInteger();
    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicInteger peak = new AtomicInteger();
    private final AtomicInteger poolEmpty = new AtomicInteger();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    /** Timer thread only. */
    private double budget;

    private int nextNode;
    private volatile boolean stopping;

    Churn(
            SoakSettings settings,
            List<GatewayProcess> nodes,
            List<HttpClient> clients,
            Ledger ledger,
            Map<Long, long[]> conversationsOf,
            LongFunction<String> tokens,
            ScheduledExecutorService timer,
            SplittableRandom random,
            String padding) {
        this.settings = settings;
        this.nodes = nodes;
        this.clients = clients;
        this.ledger = ledger;
        this.conversationsOf = conversationsOf;
        this.tokens = tokens;
        this.timer = timer;
        this.random = random;
        this.padding = padding;
        this.free = new ArrayDeque<>(conversationsOf.keySet().stream().sorted().toList());
    }

    /** Timer thread, every {@code tickMillis}: opens this tick's share of new connections. */
    void tick(int tickMillis) {
        if (stopping) {
            return;
        }
        budget += settings.churnPerSecond() * tickMillis / 1000.0;
        for (; budget >= 1; budget--) {
            Long user = free.poll();
            if (user == null) {
                poolEmpty.incrementAndGet();
                continue;
            }
            openOne(user);
        }
    }

    private void openOne(long user) {
        int node = nextNode;
        nextNode = (nextNode + 1) % nodes.size();
        long[] convs = conversationsOf.get(user);
        long lifeNanos = settings.churnLifeMin().toNanos()
                + (long) (random.nextDouble()
                        * (settings.churnLifeMax().toNanos()
                                - settings.churnLifeMin().toNanos()));
        int messages = 1 + random.nextInt(settings.churnMessagesMax());
        long[] to = new long[messages];
        for (int i = 0; i < messages; i++) {
            to[i] = convs[random.nextInt(convs.length)];
        }
        peak.accumulateAndGet(live.incrementAndGet(), Math::max);
        opened.incrementAndGet();
        Ledger.Conn conn = ledger.register(user, node, convs);
        SoakConnection.open(clients.get(node), nodes.get(node).ws(), tokens.apply(user), ledger, conn)
                .thenAccept(c -> {
                    if (c == null) {
                        timer.execute(() -> release(user)); // refused: the ledger has it
                        return;
                    }
                    for (int i = 0; i < messages; i++) {
                        long conversation = to[i];
                        timer.schedule(
                                () -> {
                                    if (c.conn().isOpen()) { // not once its node closed it (4002 after the outage)
                                        c.send(conversation, padding);
                                    }
                                },
                                lifeNanos * i / messages,
                                TimeUnit.NANOSECONDS);
                    }
                    // Ties on a one-thread timer run in submission order: the close comes after the last send.
                    timer.schedule(() -> finish(c, user), lifeNanos, TimeUnit.NANOSECONDS);
                });
    }

    private void finish(SoakConnection c, long user) {
        c.allAnswered()
                .orTimeout(ANSWER_BOUND.toMillis(), TimeUnit.MILLISECONDS)
                .handle((x, unanswered) -> null) // an unanswered message is the ledger's to report
                // The close's own bound, from when it is sent: not from now, which would cut the wait for answers
                // short and drop a connection its node was about to close with 4002.
                .thenCompose(x -> c.close().copy().orTimeout(CLOSE_BOUND.toMillis(), TimeUnit.MILLISECONDS))
                .whenComplete((code, failure) -> {
                    if (failure != null) {
                        c.abort();
                    }
                    timer.execute(() -> release(user));
                });
    }

    /** Timer thread. */
    private void release(long user) {
        free.add(user);
        if (live.decrementAndGet() == 0 && stopping) {
            drained.complete(null);
        }
    }

    /** Opens no more connections; completes when the last one has closed. */
    CompletableFuture<Void> stop() {
        timer.execute(() -> {
            stopping = true;
            if (live.get() == 0) {
                drained.complete(null);
            }
        });
        return drained;
    }

    int opened() {
        return opened.get();
    }

    int peak() {
        return peak.get();
    }

    /** Ticks when every churn user already had a connection (raise {@code soak.churnUsers} if this is not 0). */
    int poolEmpty() {
        return poolEmpty.get();
    }
}
