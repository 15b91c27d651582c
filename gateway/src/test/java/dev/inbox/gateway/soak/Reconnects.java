package dev.inbox.gateway.soak;

import dev.inbox.testkit.GatewayProcess;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongFunction;

/**
 * The cohort's clients closed by the server (4002 relay interrupted, 1001 drain, 1013 slow consumer or
 * {@code resume_busy}, or a dropped connection) do what docs/protocol.md asks of a client: reconnect after a short
 * random delay with {@code ?resume=1} and a {@code RESUME} from their position. The slot gets the new connection,
 * which the {@link Ledger} links to the closed one: one client, owed every message across both. A slot is back once
 * its {@code RESUMED} arrived.
 *
 * <p>One thread drives every pending reconnection, every 5 ms.
 */
final class Reconnects implements AutoCloseable {
    private static final long POLL_MILLIS = 5;
    /**
     * A client's first reconnection comes within this much (jitter spreads a storm of closes); each further attempt
     * of the same slot (its resume was refused: {@code resume_busy}) within twice as much, up to {@link
     * #MAX_BACKOFF_MILLIS}: the seeds' client backs off 500 ms, 2 s, 5 s.
     */
    private static final int JITTER_MILLIS = 500;

    private static final int MAX_BACKOFF_MILLIS = 5000;

    private final AtomicReferenceArray<SoakConnection> cohort;
    private final Ledger ledger;
    private final List<HttpClient> clients;
    private final List<GatewayProcess> nodes;
    private final LongFunction<String> tokens;
    /** Which node a slot reconnects to, given the node that closed it (a drained node sends clients elsewhere). */
    private final NodeChoice nodeAfter;

    /** Where a client of {@code user} closed by {@code node} reconnects. */
    @FunctionalInterface
    interface NodeChoice {
        int next(int node, long user);
    }

    private final SplittableRandom random = new SplittableRandom(14);
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "soak-reconnects");
        t.setDaemon(true);
        return t;
    });
    /** Reconnections under way; guarded by itself. */
    private final List<Pending> pending = new ArrayList<>();

    private final AtomicInteger done = new AtomicInteger();
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());

    /** One slot on its way back: waiting for its delay, for the upgrade, for its RESUMED. */
    private static final class Pending {
        final int slot;
        final SoakConnection old;
        /** Attempts in a row without a RESUMED, this one included. */
        final int attempt;

        final long notBefore;
        CompletableFuture<SoakConnection> opening;
        SoakConnection fresh;

        Pending(int slot, SoakConnection old, int attempt, long notBefore) {
            this.slot = slot;
            this.old = old;
            this.attempt = attempt;
            this.notBefore = notBefore;
        }
    }

    Reconnects(
            AtomicReferenceArray<SoakConnection> cohort,
            Ledger ledger,
            List<HttpClient> clients,
            List<GatewayProcess> nodes,
            LongFunction<String> tokens,
            NodeChoice nodeAfter) {
        this.cohort = cohort;
        this.ledger = ledger;
        this.clients = clients;
        this.nodes = nodes;
        this.tokens = tokens;
        this.nodeAfter = nodeAfter;
        for (int i = 0; i < cohort.length(); i++) {
            follow(i, cohort.get(i), 1);
        }
        thread.scheduleWithFixedDelay(this::tick, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** When the server closes {@code c} (or it drops), slot {@code slot} resumes: its {@code attempt}th try. */
    private void follow(int slot, SoakConnection c, int attempt) {
        c.closedByServer().thenAccept(code -> {
            int now = c.conn().isResumed() ? 1 : attempt; // it had resumed: this close starts afresh
            int window = (int) Math.min(MAX_BACKOFF_MILLIS, (long) JITTER_MILLIS << Math.min(now - 1, 4));
            long delay;
            synchronized (random) {
                delay = random.nextInt(window) * 1_000_000L;
            }
            synchronized (pending) {
                pending.add(new Pending(slot, c, now, System.nanoTime() + delay));
            }
        });
    }

    private void tick() {
        List<Pending> work;
        synchronized (pending) {
            work = new ArrayList<>(pending);
        }
        long now = System.nanoTime();
        for (Pending p : work) {
            if (p.opening == null) {
                if (now >= p.notBefore) {
                    Ledger.Conn old = p.old.conn();
                    int node = nodeAfter.next(old.node, old.user);
                    p.opening = SoakConnection.openResuming(
                            clients.get(node),
                            nodes.get(node).ws(),
                            tokens.apply(old.user),
                            ledger,
                            ledger.resumed(old, node),
                            p.old.position());
                }
            } else if (p.fresh == null) {
                if (p.opening.isDone()) {
                    p.fresh = p.opening.join();
                    if (p.fresh == null) {
                        problems.add(p.old.conn() + " could not reconnect after its close (see refused upgrades)");
                        finish(p);
                        continue;
                    }
                    cohort.set(p.slot, p.fresh);
                    // Until its RESUMED, a close is one more failed attempt; after it, a fresh start.
                    follow(p.slot, p.fresh, p.attempt + 1);
                }
            } else if (p.fresh.live()) {
                done.incrementAndGet();
                finish(p);
            } else if (p.fresh.closedByServer().isDone()) {
                finish(p); // closed before its RESUMED (resume_busy): follow() queued the next attempt
            }
        }
    }

    private void finish(Pending p) {
        synchronized (pending) {
            pending.remove(p);
        }
    }

    /** Whether no reconnection is under way. */
    boolean idle() {
        synchronized (pending) {
            return pending.isEmpty();
        }
    }

    /** Resumes that got their RESUMED. */
    int reconnected() {
        return done.get();
    }

    List<String> problems() {
        synchronized (problems) {
            return List.copyOf(problems);
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
