package dev.inbox.benchmarks.loadgen;

import dev.inbox.testkit.DeliveryCounts;
import dev.inbox.testkit.DeliveryLedger;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Everything the load generator does on one event loop: the connections placed on it (every connection of a
 * conversation on the same loop, so nothing here is shared between threads), the open-model sending, and the
 * counters and histograms of what came back.
 *
 * <p>Sending: one periodic task per loop ({@code --tick}) sends every message whose intended time has come, each
 * stamped with that intended time, round-robin over the loop's sending connections; nothing spins, and a late tick
 * sends late messages whose latency still counts from when they were due. A connection whose outbound buffer is past
 * Netty's high-water mark (the gateway stopped reading it) does not get more: the message is counted as not sent and
 * the run fails, so the client queue stays bounded and nothing is hidden.
 *
 * <p>Every method runs on {@link #loop}; the reporting thread reads results only through tasks submitted to it.
 */
final class LoadWorker {
    /** Latencies and handshakes above this (10 minutes) are recorded as this. */
    private static final long HIGHEST_NANOS = TimeUnit.MINUTES.toNanos(10);

    private final EventLoop loop;
    private final int messageChars;
    private final EventScanner scanner = new EventScanner();
    private final List<ConversationState> conversations = new ArrayList<>();
    private final List<LoadConnection> connections = new ArrayList<>();
    private final List<LoadConnection> senderList = new ArrayList<>();

    // Connecting.
    private int established;
    private final Map<String, Long> failures = new TreeMap<>();
    private final Histogram handshakes = new Histogram(HIGHEST_NANOS, 3);
    private final Map<String, Long> closedDuringRun = new TreeMap<>();
    private long errors;
    private String firstError;

    // Sending (set by start()).
    private LoadConnection[] senders;
    private SendSchedule schedule;
    private long origin;
    private long measureFrom;
    private long measureTo;
    private long sendFrom;
    private double rate;
    private long next;
    private ScheduledFuture<?> ticker;
    private boolean closing;

    private long sent;
    private long sentMeasured;
    /** Refusals received within the measured window (by arrival: an ERROR does not say when its message was meant). */
    private long refusedMeasured;

    private long acked;
    private long backlogSkipped;
    private long unsentClosed;
    private long maxLagNanos;
    private long lagSumNanos;

    // Receiving.
    private final DeliveryCounts counts = new DeliveryCounts();
    private final Histogram latency = new Histogram(HIGHEST_NANOS, 3);
    private long deliveriesMeasured;
    private final Map<String, Long> refusals = new TreeMap<>();
    private long malformed;
    private long otherFrames;

    /** Mixed scenario: TYPING frames sent with every message. */
    static final int TYPING_PER_MESSAGE = 5;

    /** Whether every message goes with {@link #TYPING_PER_MESSAGE} TYPING frames and one READ (the mixed scenario). */
    private final boolean mixed;

    private long typingSent;
    private long readsSent;
    /** READ events received (within {@link #otherFrames}): coalesced by the gateway, fewer than the READs' moves. */
    private long readEvents;

    LoadWorker(EventLoop loop, int messageChars, boolean mixed) {
        this.loop = loop;
        this.messageChars = messageChars;
        this.mixed = mixed;
    }

    EventLoop loop() {
        return loop;
    }

    /** Adds a conversation; called before any of its connections is opened. */
    ConversationState conversation(ConversationPlan plan, int connectionsPerUser) {
        ConversationState c = new ConversationState(plan, connectionsPerUser);
        conversations.add(c);
        return c;
    }

    // ---- connection events (from LoadConnection) ----

    void established(LoadConnection c, long handshakeNanos) {
        established++;
        handshakes.recordValue(Math.min(handshakeNanos, HIGHEST_NANOS));
        connections.add(c);
        if (c.conversation != null) {
            c.conversation.established++;
            c.ledger = new DeliveryLedger(c.conversation.senderSlots);
            if (c.sends()) {
                senderList.add(c);
            }
        }
    }

    void failed(String reason) {
        failures.merge(reason, 1L, Long::sum);
    }

    void closed(LoadConnection c, String how) {
        if (!closing) {
            closedDuringRun.merge(how, 1L, Long::sum);
        }
    }

    void error(Throwable cause) {
        if (errors++ == 0) {
            firstError = cause.toString();
        }
    }

    /** Sending connections that opened. */
    int senderCount() {
        return senderList.size();
    }

    // ---- sending ----

    /**
     * Starts this loop's schedule: {@code rate} messages per second from {@code sendFrom} until {@code measureTo},
     * checked every {@code tickNanos}; latency is recorded for messages intended within [measureFrom, measureTo).
     */
    void start(long origin, long sendFrom, long measureFrom, long measureTo, double rate, long tickNanos) {
        this.origin = origin;
        this.measureFrom = measureFrom;
        this.measureTo = measureTo;
        this.senders = senderList.toArray(new LoadConnection[0]);
        if (senders.length == 0 || rate <= 0) {
            return;
        }
        this.sendFrom = sendFrom;
        this.rate = rate;
        this.schedule = new SendSchedule(sendFrom, measureTo, rate);
        long delay = Math.max(0, sendFrom - System.nanoTime());
        ticker = loop.scheduleAtFixedRate(this::tick, delay, tickNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Moves the measured window to [{@code from}, {@code to}) and ends the schedule at {@code to}; the messages before
     * {@code from} become warm-up. Only before {@code from} (a message already sent was counted as warm-up or not):
     * false, and nothing changed, when this loop runs it too late.
     */
    boolean window(long from, long to) {
        if (System.nanoTime() >= from) {
            return false;
        }
        this.measureFrom = from;
        this.measureTo = to;
        if (schedule != null) {
            // Same start and rate, so message n is meant for the same moment: only the end moves.
            this.schedule = new SendSchedule(sendFrom, to, rate);
        }
        return true;
    }

    private void tick() {
        long now = System.nanoTime();
        long total = schedule.count();
        while (next < total) {
            long intended = schedule.intendedAt(next);
            if (intended > now) {
                break;
            }
            long lag = now - intended;
            lagSumNanos += lag;
            if (lag > maxLagNanos) {
                maxLagNanos = lag;
            }
            send(senders[(int) (next % senders.length)], intended);
            next++;
        }
        if (next >= total) {
            ticker.cancel(false);
        }
    }

    private void send(LoadConnection c, long intended) {
        if (!c.isOpen()) {
            unsentClosed++;
            return;
        }
        Channel ch = c.channel;
        if (!ch.isWritable()) {
            backlogSkipped++;
            return;
        }
        ByteBuf payload = MessageText.clientFrame(
                ch.alloc(),
                c.conversation.prefix,
                c.slot,
                c.nextSeq++,
                c.clientMsgIdTag,
                intended - origin,
                messageChars);
        if (mixed) {
            // As a client does: typing while composing, then the message, then a READ of what it has on screen.
            long conversationId = c.conversation.plan.id();
            byte[] typing = typingFrame(conversationId);
            for (int i = 0; i < TYPING_PER_MESSAGE; i++) {
                ch.write(new TextWebSocketFrame(ch.alloc().buffer(typing.length).writeBytes(typing)), ch.voidPromise());
            }
            typingSent += TYPING_PER_MESSAGE;
            ch.write(new TextWebSocketFrame(payload), ch.voidPromise());
            if (c.lastMessageId > 0) {
                byte[] read = ("{\"type\":\"READ\",\"conversation_id\":" + conversationId + ",\"message_id\":"
                                + c.lastMessageId + "}")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                ch.write(new TextWebSocketFrame(ch.alloc().buffer(read.length).writeBytes(read)), ch.voidPromise());
                readsSent++;
            }
            ch.flush();
        } else {
            ch.writeAndFlush(new TextWebSocketFrame(payload), ch.voidPromise());
        }
        c.conversation.sent++;
        sent++;
        if (intended >= measureFrom && intended < measureTo) {
            sentMeasured++;
        }
    }

    private static byte[] typingFrame(long conversationId) {
        return ("{\"type\":\"TYPING\",\"conversation_id\":" + conversationId + "}")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    // ---- receiving ----

    void onText(LoadConnection c, ByteBuf content, long now) {
        switch (scanner.scan(content)) {
            case TEXT -> {
                if (c.conversation == null || scanner.conversationId != c.conversation.plan.id()) {
                    counts.misrouted();
                    return;
                }
                if (scanner.messageId > c.lastMessageId) {
                    c.lastMessageId = scanner.messageId;
                }
                long uniqueBefore = counts.unique;
                counts.count(c.ledger, scanner.slot, scanner.seq);
                if (scanner.slot == c.slot && counts.unique != uniqueBefore) {
                    acked++;
                }
                long intended = origin + scanner.intended;
                if (intended >= measureFrom && intended < measureTo) {
                    latency.recordValue(Math.max(0, Math.min(now - intended, HIGHEST_NANOS)));
                }
                if (now >= measureFrom && now < measureTo) {
                    deliveriesMeasured++;
                }
            }
            case ERROR -> {
                refusals.merge(scanner.errorCode, 1L, Long::sum);
                if (now >= measureFrom && now < measureTo) {
                    refusedMeasured++;
                }
                if (c.conversation != null) {
                    c.conversation.refused++;
                }
            }
            case READ -> {
                otherFrames++;
                readEvents++;
            }
            case OTHER -> otherFrames++;
            case MALFORMED -> malformed++;
        }
    }

    // ---- results ----

    long expected() {
        long e = 0;
        for (ConversationState c : conversations) {
            e += c.expectedDeliveries();
        }
        return e;
    }

    private long refused() {
        long r = 0;
        for (long v : refusals.values()) {
            r += v;
        }
        return r;
    }

    /** Whether every expected delivery and every answer to a sent message has come (or the schedule is not done). */
    boolean drained() {
        return (schedule == null || next >= schedule.count())
                && counts.unique >= expected()
                && acked + refused() >= sent;
    }

    /** Adds this loop's results to {@code t}; run on this loop. */
    void addTo(RunTotals t) {
        t.established += established;
        failures.forEach((k, v) -> t.failures.merge(k, v, Long::sum));
        t.handshakes.add(handshakes);
        closedDuringRun.forEach((k, v) -> t.closedDuringRun.merge(k, v, Long::sum));
        t.errors += errors;
        if (t.firstError == null) {
            t.firstError = firstError;
        }
        t.senders += senderList.size();
        t.sent += sent;
        t.sentMeasured += sentMeasured;
        t.refusedMeasured += refusedMeasured;
        t.acked += acked;
        t.backlogSkipped += backlogSkipped;
        t.unsentClosed += unsentClosed;
        t.maxLagNanos = Math.max(t.maxLagNanos, maxLagNanos);
        t.lagSumNanos += lagSumNanos;
        t.expected += expected();
        t.counts.add(counts);
        t.latency.add(latency);
        t.deliveriesMeasured += deliveriesMeasured;
        refusals.forEach((k, v) -> t.refusals.merge(k, v, Long::sum));
        t.malformed += malformed;
        t.otherFrames += otherFrames;
        t.typingSent += typingSent;
        t.readsSent += readsSent;
        t.readEvents += readEvents;
    }

    /** Stops sending and closes every connection with 1000; closes from now on are not failures. */
    void closeAll() {
        closing = true;
        if (ticker != null) {
            ticker.cancel(false);
        }
        for (LoadConnection c : connections) {
            c.close();
        }
    }
}
