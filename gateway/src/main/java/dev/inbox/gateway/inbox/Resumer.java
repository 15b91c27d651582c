package dev.inbox.gateway.inbox;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.inbox.gateway.metrics.GatewayMetrics;
import dev.inbox.gateway.routing.InboxSession;
import dev.inbox.gateway.routing.Membership;
import dev.inbox.gateway.routing.UserFeed;
import dev.inbox.protocol.ErrorCode;
import dev.inbox.protocol.ProtocolException;
import dev.inbox.protocol.ResumeRequest;
import dev.inbox.protocol.ResumeRequestDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.io.IOException;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;

/**
 * Answers a connection's {@code RESUME}: replays what its user missed since the client's position, then the live
 * events held back meanwhile, each event exactly once (docs/protocol.md, "Resume", has the argument). The steps:
 * the connection holds its live events from the moment it joined; once this node is confirmed reachable for the user
 * ({@link UserFeed#live}) the feed is read after the position; the events it names that the client has not seen are
 * read from their conversations' histories and written in feed order; then {@code RESUMED}; then the held events,
 * minus those the replay or the client already had.
 *
 * <p>At most {@code concurrency} resumes read Redis at once on a node, and a bounded number more wait for a slot
 * ({@link ResumeSlots}); past them a resume is refused with {@code resume_busy}, so a reconnect storm costs Redis a
 * bounded number of reads at a time and never waits on an event loop. The wait for that confirmation comes before
 * the slot: it reads nothing, and a storm's subscriptions are confirmed in batches.
 */
public final class Resumer {
    /** Close code after a refused RESUME: the client should reconnect later (busy) or fix its request (bad). */
    static final int TRY_AGAIN_LATER = 1013;

    static final int POLICY_VIOLATION = 1008;

    private static final JsonFactory JSON = new JsonFactory();

    private final UserFeed feed;
    private final ReplaySource history;
    private final Membership membership;
    private final ResumeRequestDecoder decoder;
    private final ResumeSlots slots;
    private final int maxEvents;
    private final GatewayMetrics metrics;

    /** @param feed the users' feeds; null where resuming is not supported (every resume: recovered:false) */
    public Resumer(
            UserFeed feed,
            ReplaySource history,
            Membership membership,
            int maxConversations,
            int maxEvents,
            int concurrency,
            int maxWaiting,
            Duration maxWait,
            GatewayMetrics metrics) {
        this.feed = feed;
        this.history = history;
        this.membership = membership;
        this.decoder = new ResumeRequestDecoder(maxConversations);
        this.slots = new ResumeSlots(concurrency, maxWaiting, maxWait.toNanos());
        metrics.resumesWaiting(slots::waiting);
        this.maxEvents = maxEvents;
        this.metrics = metrics;
    }

    /** The first text frame of a connection that holds its live events. Event loop. */
    void resume(InboxSession session, ByteBuf content) {
        ResumeRequest request;
        try {
            request = decoder.decode(content);
        } catch (ProtocolException e) {
            metrics.resumed("bad_request", 0, -1);
            refuse(session, ErrorCode.BAD_RESUME, e.getMessage(), POLICY_VIOLATION);
            return;
        }
        long started = System.nanoTime();
        if (feed == null) {
            finishOnLoop(session, request, Plan.notRecovered("not_supported", null), started, false);
            return;
        }
        CompletionStage<Void> live;
        try {
            live = feed.live(session.userId());
        } catch (RuntimeException e) {
            live = CompletableFuture.failedFuture(e);
        }
        live.whenComplete((v, failure) -> {
            if (failure != null) {
                finishOnLoop(session, request, Plan.failed(), started, false);
                return;
            }
            slots.acquire(() -> read(session, request, started), () -> busy(session));
        });
    }

    /** Holding a slot: reads the feed and the histories, then answers on the connection's loop and frees the slot. */
    private void read(InboxSession session, ResumeRequest request, long started) {
        CompletionStage<Plan> plan;
        try {
            plan = plan(session.userId(), request);
        } catch (RuntimeException e) {
            plan = CompletableFuture.failedFuture(e);
        }
        plan.whenComplete(
                (p, failure) -> finishOnLoop(session, request, failure == null ? p : Plan.failed(), started, true));
    }

    private void finishOnLoop(InboxSession session, ResumeRequest request, Plan plan, long started, boolean slot) {
        try {
            session.channel().eventLoop().execute(() -> {
                try {
                    finish(session, request, plan, started);
                } finally {
                    if (slot) {
                        slots.release();
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            if (slot) {
                slots.release(); // the loop is shutting down, and the connection with it
            }
        }
    }

    /** No slot within the bound: the client is told to come back after a random delay. Any thread. */
    private void busy(InboxSession session) {
        metrics.resumed("busy", 0, -1);
        try {
            session.channel()
                    .eventLoop()
                    .execute(() -> refuse(
                            session,
                            ErrorCode.RESUME_BUSY,
                            "too many connections are resuming; reconnect after a random delay",
                            TRY_AGAIN_LATER));
        } catch (RejectedExecutionException e) {
            // shutting down: the connection goes with the node
        }
    }

    private void refuse(InboxSession session, ErrorCode code, String why, int closeCode) {
        session.stopHolding().forEach(ByteBuf::release);
        session.sendError(code, why, 0, null);
        session.close(closeCode, code.wireName());
    }

    /** What to replay, worked out off the event loop, once the user's channel is live. */
    private CompletionStage<Plan> plan(long userId, ResumeRequest request) {
        ResumePosition from = request.position() == null ? null : ResumePosition.parse(request.position());
        boolean bad = request.position() != null && from == null;
        return feed.read(userId, from == null ? null : from.id(), maxEvents + 1).thenCompose(read -> {
            ResumePosition now = ResumePosition.of(read);
            String unrecovered = judge(from, bad, read);
            CompletionStage<Map<Long, String>> members =
                    notMembers(userId, request.lastSeen().keySet());
            if (unrecovered != null) {
                return members.thenApply(
                        n -> Plan.notRecovered(unrecovered, now).with(n));
            }
            return members.thenCombine(
                    replay(read.entries(), request.lastSeen()),
                    (n, p) -> p.at(now).with(n));
        });
    }

    /** Why the feed cannot say what the client missed, or null when it can. */
    private String judge(ResumePosition from, boolean bad, UserFeed.Read read) {
        if (bad) {
            return "bad_position";
        }
        if (from == null) {
            return "no_position";
        }
        if (!from.epoch().equals(read.epoch())) {
            return "epoch_changed";
        }
        if (read.lastId().equals(UserFeed.Id.ZERO) && from.id().compareTo(UserFeed.Id.ZERO) > 0) {
            return "beyond_window"; // the feed is gone while its epoch is not: removed or expired
        }
        if (from.id().compareTo(read.lastId()) > 0 || from.added() > read.added()) {
            return "bad_position"; // from the future: no token this node handed out
        }
        if (read.length() < read.added() - from.added()) {
            return "beyond_window"; // entries after the position were trimmed away
        }
        if (read.entries().size() > maxEvents) {
            return "too_many";
        }
        return null;
    }

    /** Of the listed conversations, those the user is not in, with reason {@code not_a_member}. */
    private CompletionStage<Map<Long, String>> notMembers(long userId, Iterable<Long> listed) {
        Map<Long, String> out = new java.util.concurrent.ConcurrentHashMap<>();
        CompletableFuture<?> all = CompletableFuture.completedFuture(null);
        for (long c : listed) {
            all = CompletableFuture.allOf(
                    all,
                    membership
                            .members(c)
                            .thenAccept(m -> {
                                if (m == null || !m.contains(userId)) {
                                    out.put(c, "not_a_member");
                                }
                            })
                            .toCompletableFuture());
        }
        return all.thenApply(v -> out);
    }

    /** Reads, per conversation, the feed's events the client has not seen. */
    private CompletionStage<Plan> replay(List<UserFeed.Entry> entries, Map<Long, Long> lastSeen) {
        List<UserFeed.Entry> wanted = new ArrayList<>();
        Map<Long, Long> firstWanted = new LinkedHashMap<>();
        for (UserFeed.Entry e : entries) {
            if (e.messageId() > lastSeen.getOrDefault(e.conversationId(), 0L)) {
                wanted.add(e);
                firstWanted.putIfAbsent(e.conversationId(), e.messageId());
            }
        }
        Map<Long, Map<Long, byte[]>> found = new java.util.concurrent.ConcurrentHashMap<>();
        Map<Long, String> lost = new java.util.concurrent.ConcurrentHashMap<>();
        CompletableFuture<?> all = CompletableFuture.completedFuture(null);
        for (Map.Entry<Long, Long> c : firstWanted.entrySet()) {
            long conversation = c.getKey();
            all = CompletableFuture.allOf(
                    all,
                    history.after(conversation, c.getValue() - 1, maxEvents)
                            .thenAccept(page -> {
                                Map<Long, byte[]> byId = new HashMap<>();
                                page.events().forEach(ev -> byId.put(ev.messageId(), ev.json()));
                                found.put(conversation, byId);
                                if (page.trimmed()) {
                                    lost.put(conversation, "beyond_window");
                                }
                            })
                            .toCompletableFuture());
        }
        return all.thenApply(v -> {
            List<byte[]> frames = new ArrayList<>();
            List<UserFeed.Entry> replayed = new ArrayList<>();
            // A conversation is replayed whole or not at all: a hole in it would be a silent gap.
            for (UserFeed.Entry e : wanted) {
                Map<Long, byte[]> byId = found.get(e.conversationId());
                if (byId == null || !byId.containsKey(e.messageId())) {
                    lost.put(e.conversationId(), "beyond_window");
                }
            }
            for (UserFeed.Entry e : wanted) {
                if (!lost.containsKey(e.conversationId())) {
                    frames.add(found.get(e.conversationId()).get(e.messageId()));
                    replayed.add(e);
                }
            }
            return new Plan(true, null, null, frames, replayed, new HashMap<>(lost));
        });
    }

    /** On the event loop: the replay, RESUMED, then the held live events minus those already delivered. */
    private void finish(InboxSession session, ResumeRequest request, Plan plan, long started) {
        if (!session.channel().isActive() || session.isClosing()) {
            session.stopHolding().forEach(ByteBuf::release);
            metrics.resumed("closed", 0, -1);
            return;
        }
        Map<Long, Long> delivered = new HashMap<>(request.lastSeen());
        for (int i = 0; i < plan.frames.size(); i++) {
            UserFeed.Entry e = plan.replayed.get(i);
            session.channel().write(new TextWebSocketFrame(Unpooled.wrappedBuffer(plan.frames.get(i))));
            delivered.merge(e.conversationId(), e.messageId(), Math::max);
        }
        session.channel().write(new TextWebSocketFrame(resumed(plan)));
        for (ByteBuf held : session.stopHolding()) {
            if (InboxSession.alreadyDelivered(held, delivered)) {
                held.release(); // replayed already, or seen by the client before it reconnected
            } else {
                session.writeNow(held);
            }
        }
        session.watchSeam(delivered); // what was still on its way from Redis when the feed was read
        session.flushFrames();
        session.channel().flush();
        String outcome = plan.reason != null ? plan.reason : plan.notRecovered.isEmpty() ? "recovered" : "partial";
        metrics.resumed(outcome, plan.frames.size(), System.nanoTime() - started);
    }

    private static String resumed(Plan plan) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("type", "RESUMED");
            if (plan.position != null) {
                g.writeStringField("position", plan.position.token());
            } else {
                g.writeNullField("position");
            }
            g.writeBooleanField("recovered", plan.recovered);
            if (plan.reason != null) {
                g.writeStringField("reason", plan.reason);
            }
            g.writeNumberField("replayed", plan.frames.size());
            g.writeArrayFieldStart("not_recovered");
            for (Map.Entry<Long, String> c : plan.notRecovered.entrySet()) {
                g.writeStartObject();
                g.writeNumberField("conversation_id", c.getKey());
                g.writeStringField("reason", c.getValue());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    /** A resume's answer, before it is written. */
    private record Plan(
            boolean recovered,
            String reason,
            ResumePosition position,
            List<byte[]> frames,
            List<UserFeed.Entry> replayed,
            Map<Long, String> notRecovered) {
        static Plan notRecovered(String reason, ResumePosition position) {
            return new Plan(false, reason, position, List.of(), List.of(), new HashMap<>());
        }

        static Plan failed() {
            return notRecovered("failed", null);
        }

        Plan at(ResumePosition now) {
            return new Plan(recovered, reason, now, frames, replayed, notRecovered);
        }

        Plan with(Map<Long, String> more) {
            Map<Long, String> all = new LinkedHashMap<>(notRecovered);
            all.putAll(more);
            return new Plan(recovered, reason, position, frames, replayed, all);
        }
    }
}
