package dev.inbox.gateway.soak;

import dev.inbox.testkit.GatewayProcess;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongFunction;

/**
 * The cohort's clients told to reconnect (4002, relay interrupted) do so, as the README asks of a client: the slot
 * gets a new connection for the same user on the same node, which is steady again (owed every message from then on)
 * once Redis lists its user channel as subscribed. So that this subscription is the new connection's own and not the
 * old one's about to be dropped, the new connection opens only once Redis has shown the channel unsubscribed (a
 * cohort user has one connection, so the old one's leave unsubscribes it).
 *
 * <p>One thread asks Redis about every pending reconnection at once (one {@code PUBSUB NUMSUB}), every 5 ms.
 */
final class Reconnects implements AutoCloseable {
    private static final long POLL_MILLIS = 5;

    private final AtomicReferenceArray<SoakConnection> cohort;
    private final ChannelWatch watch;
    private final Ledger ledger;
    private final List<HttpClient> clients;
    private final List<GatewayProcess> nodes;
    private final LongFunction<String> tokens;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "soak-reconnects");
        t.setDaemon(true);
        return t;
    });
    /** Reconnections under way; guarded by itself. */
    private final List<Pending> pending = new ArrayList<>();

    private final AtomicInteger done = new AtomicInteger();
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());

    /** One slot on its way back: waiting for the old subscription to go, for the upgrade, for the new subscription. */
    private static final class Pending {
        final int slot;
        final Ledger.Conn old;
        CompletableFuture<SoakConnection> opening;
        SoakConnection fresh;

        Pending(int slot, Ledger.Conn old) {
            this.slot = slot;
            this.old = old;
        }
    }

    Reconnects(
            AtomicReferenceArray<SoakConnection> cohort,
            ChannelWatch watch,
            Ledger ledger,
            List<HttpClient> clients,
            List<GatewayProcess> nodes,
            LongFunction<String> tokens) {
        this.cohort = cohort;
        this.watch = watch;
        this.ledger = ledger;
        this.clients = clients;
        this.nodes = nodes;
        this.tokens = tokens;
        for (int i = 0; i < cohort.length(); i++) {
            follow(i, cohort.get(i));
        }
        thread.scheduleWithFixedDelay(this::tick, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** When the server closes {@code c} with 4002, slot {@code slot} reconnects. */
    private void follow(int slot, SoakConnection c) {
        c.closedByServer().thenAccept(code -> {
            if (code == Ledger.RELAY_INTERRUPTED) {
                synchronized (pending) {
                    pending.add(new Pending(slot, c.conn()));
                }
            } // any other close the ledger reports
        });
    }

    private void tick() {
        List<Pending> work;
        synchronized (pending) {
            work = new ArrayList<>(pending);
        }
        if (work.isEmpty()) {
            return;
        }
        List<Long> users = work.stream().map(p -> p.old.user).toList();
        int[] subscribers = watch.subscribers(users);
        for (int i = 0; i < work.size(); i++) {
            Pending p = work.get(i);
            if (p.opening == null) {
                if (subscribers != null && subscribers[i] == 0) {
                    p.opening = SoakConnection.open(
                            clients.get(p.old.node),
                            nodes.get(p.old.node).ws(),
                            tokens.apply(p.old.user),
                            ledger,
                            ledger.register(p.old.user, p.old.node, p.old.conversations()));
                }
            } else if (p.fresh == null) {
                if (p.opening.isDone()) {
                    p.fresh = p.opening.join();
                    if (p.fresh == null) {
                        problems.add(p.old + " could not reconnect after its 4002 (see refused upgrades)");
                        finish(p);
                        continue;
                    }
                    cohort.set(p.slot, p.fresh);
                    follow(p.slot, p.fresh);
                }
            } else if (subscribers != null && subscribers[i] > 0) {
                p.fresh.conn().ready(System.nanoTime());
                done.incrementAndGet();
                finish(p);
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

    /** Slots that came back steady. */
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
