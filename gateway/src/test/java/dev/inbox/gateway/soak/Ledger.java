package dev.inbox.gateway.soak;

import dev.inbox.gateway.soak.Verdict.Count;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The soak's accounting of every message and every frame, judged against the README's guarantees:
 *
 * <ul>
 *   <li>A message is answered exactly once: acknowledged (its echo with its {@code client_msg_id}) or refused with an
 *       {@code ERROR}.</li>
 *   <li>An acknowledged message reaches every <em>steady</em> connection that is a member of its conversation (ready
 *       before it was sent, open until the run quiesced), exactly once; each connection sees a conversation's
 *       messages in {@code message_id} order; nobody else's conversation reaches it.</li>
 *   <li>A refused message reaches nobody and is not in the outbox, without exception (issue 13). When Redis dies
 *       between running the admission script and answering, the sender is told {@code outcome_unknown}, not refused:
 *       such a message may have reached the other nodes and the outbox. Counted apart, allowed during the outage
 *       only.</li>
 *   <li>{@code relay_unavailable} only while the sender's node had no Redis: answered after the kill, for a message
 *       sent before that node had subscribed again after the restart.</li>
 * </ul>
 *
 * <p>A connection open across the outage must be closed with 4002 (relay interrupted) by its node once Redis is back
 * (within {@link Outage#TOLD_BOUND_NANOS} of its resubscription): that close is what makes a miss in the gap
 * acceptable. Misses of an acknowledged message are told apart by when and where they happened: on the sender's
 * node (delivered from the script's reply, so never excusable, but for a connection closed with 4002: below); by a
 * connection its node then closed with 4002, sent between the kill and that close (allowed: the gap, and what was
 * still in flight at the close, which on a loaded machine can be as late as {@code --redis-timeout}); in the
 * receiving node's gap (from the kill until it had resubscribed) by a connection never told (a silent miss:
 * failure); cut off at the crash; or otherwise plain lost. Likewise a message sent after the kill on a connection
 * then closed with 4002 may go unanswered: its answer can come too late for the close. Cut off at the crash means: what a node got from
 * Redis before it died is a prefix of what Redis wrote to it (one connection, in order), so the missing message must
 * come after everything the node did get: no later pre-crash message of its conversation reached the node, and it
 * was acknowledged no earlier than {@link Outage#CUT_JITTER_NANOS} before the last pre-crash message from another
 * node that did (acknowledgement times standing in for the order Redis ran them in). A node reading slowly has a
 * longer tail in Redis's buffers, so its cut comes earlier; anything before the cut is a hole, and lost.
 *
 * <p><b>Resume (issue 14).</b> A connection opened with {@code ?resume=1} after its predecessor was closed by the
 * server (4002, 1001, 1013 or any other close) continues it: {@link #resumed} links the two, and the chain of
 * connections is one <em>client</em>. A client is owed every acknowledged message of its conversations sent from
 * its first connection's readiness to the end of the run (or of its last connection), exactly once across all its
 * connections, live or replayed, in {@code message_id} order across them too; a resume that answers
 * {@code recovered:false} or lists a conversation as not recovered fails ({@code NOT_RECOVERED}): the soak stays
 * within the history window. None of the excuses above holds for a miss on a connection that was then resumed: the
 * replay must have brought it.
 *
 * <p>Thread-safety: {@link #register} and {@link #sent} from any thread; {@link Conn#receive} from the connection's
 * one delivery thread (the JDK client delivers a WebSocket's messages one at a time); {@link #verdict} once every
 * connection is closed.
 */
final class Ledger {
    /** The close code of a relay interruption (README: close codes). */
    static final int RELAY_INTERRUPTED = 4002;
    /** The answer that is neither an acknowledgement nor a refusal (docs/protocol.md). */
    static final String OUTCOME_UNKNOWN = "outcome_unknown";
    /** The {@code RESUMED} reason that asks the client to retry (docs/protocol.md, Resume). */
    static final String RESUME_FAILED = "failed";

    private final Map<Integer, Msg> messages = new ConcurrentHashMap<>();
    private final List<Conn> connections = new ArrayList<>();
    private final AtomicInteger seqs = new AtomicInteger();
    private final AtomicInteger upgradesRefused = new AtomicInteger();
    private final List<String> refusalExamples = new ArrayList<>();
    private volatile long quiescedAt = Long.MAX_VALUE;

    /** One message the soak sent. */
    static final class Msg {
        final int seq;
        final Conn sender;
        final long conversation;
        /** When it went to the socket (first set when it was recorded, just before). */
        private volatile long sentAt;
        /** Guarded by this. */
        private int answers;

        private boolean acked;
        private long messageId;
        private String code;
        private long answeredAt;

        Msg(int seq, Conn sender, long conversation, long sentAt) {
            this.seq = seq;
            this.sender = sender;
            this.conversation = conversation;
            this.sentAt = sentAt;
        }

        /** The message is being handed to the socket now. */
        void transmitted(long at) {
            sentAt = at;
        }

        int seq() {
            return seq;
        }

        synchronized void answer(boolean ack, long messageId, String code, long at) {
            if (answers++ == 0) {
                this.acked = ack;
                this.messageId = messageId;
                this.code = code;
                this.answeredAt = at;
            }
        }

        synchronized boolean acked() {
            return answers > 0 && acked;
        }

        synchronized long messageId() {
            return acked() ? messageId : 0;
        }

        synchronized long answeredAt() {
            return answeredAt;
        }

        @Override
        public synchronized String toString() {
            return "#" + seq + " conv=" + conversation + " from user " + sender.user + "@node" + sender.node
                    + (answers == 0 ? " unanswered" : acked ? " id=" + messageId : " refused " + code);
        }
    }

    /** One connection: who, where, which conversations, and everything it received. */
    final class Conn {
        final long user;
        final int node;
        /** The connection this one resumed from (null: a client's first); set at registration. */
        private final Conn previous;
        /** The connection that resumed from this one; set when it is registered, before it opens. */
        private volatile Conn next;
        /** Sorted. */
        private final long[] conversations;
        /** From when on this connection is owed every message of its conversations; never, unless made steady. */
        private volatile long readyAt = Long.MAX_VALUE;

        private volatile long openedAt;
        private volatile long closedAt;
        private volatile boolean closedByServer;
        private volatile int closeCode = -1;
        /** Delivery thread only (then read by the verdict, after the close). */
        private int[] received = new int[8];

        private int receivedCount;
        /**
         * Per conversation: the highest message_id the client received and the message that carried it; shared along
         * a chain of resumed connections (which receive one after the other: a successor opens after the close).
         */
        private final Map<Long, Msg> lastMessage;

        private final Map<Long, Long> lastMessageId;
        /** When this connection's {@code RESUMED} arrived, or 0. */
        private volatile long resumedAt;

        private int frames;
        private int replayed;
        private int notRecovered;
        private int resumeBusy;
        private int ownReplayed;
        /** Its resume answered {@code failed} (Redis could not be read): the client drops what follows and retries. */
        private volatile boolean resumeFailed;

        private int discarded;
        private final List<String> anomalies = new ArrayList<>(0);
        private int outOfOrder;
        private int misrouted;
        private int leaked;
        private int strangers;
        private int ownEchoes;

        private Conn(long user, int node, long[] conversations, Conn previous) {
            this.user = user;
            this.node = node;
            this.previous = previous;
            this.conversations = conversations.clone();
            Arrays.sort(this.conversations);
            this.lastMessage = previous == null ? new HashMap<>(4) : previous.lastMessage;
            this.lastMessageId = previous == null ? new HashMap<>(4) : previous.lastMessageId;
        }

        /** The client's first connection. */
        Conn first() {
            Conn c = this;
            while (c.previous != null) {
                c = c.previous;
            }
            return c;
        }

        /** The client's latest connection so far. */
        Conn last() {
            Conn c = this;
            while (c.next != null) {
                c = c.next;
            }
            return c;
        }

        /** Whether {@code other} is a connection of the same client. */
        boolean sameClient(Conn other) {
            return other.first() == first();
        }

        /** Whether this connection's {@code RESUMED} arrived and did not fail: it may send. */
        boolean isResumed() {
            return resumedAt != 0 && !resumeFailed;
        }

        /** Whether its resume answered {@code failed}: the client closes it and resumes again from where it was. */
        boolean resumeFailed() {
            return resumeFailed;
        }

        boolean isMember(long conversation) {
            return Arrays.binarySearch(conversations, conversation) >= 0;
        }

        long[] conversations() {
            return conversations.clone();
        }

        void opened(long at) {
            openedAt = at;
        }

        /** This connection is subscribed everywhere: every message sent from now on is owed to it. */
        void ready(long at) {
            readyAt = at;
        }

        boolean isOpen() {
            return openedAt != 0 && closedAt == 0;
        }

        /** Closed by its node with 4002: it may have missed messages and was told so. */
        boolean told() {
            return closedByServer && closeCode == RELAY_INTERRUPTED;
        }

        /** The first close counts: a close frame, or an error ending a connection that had none. */
        synchronized void closed(long at, int code, boolean byServer) {
            if (closedAt != 0) {
                return;
            }
            closedAt = at;
            closeCode = code;
            closedByServer = byServer;
        }

        /** Whether this connection has received message {@code seq} (not counting its own acknowledgements). */
        synchronized boolean has(int seq) {
            for (int i = receivedCount - 1; i >= 0; i--) {
                if (received[i] == seq) {
                    return true;
                }
            }
            return false;
        }

        /** One frame from the server. */
        synchronized void receive(ServerFrame f, long at) {
            frames++;
            if (resumeFailed) {
                discarded++; // the client drops it: the next resume replays it
                return;
            }
            if (f.isResumed()) {
                if (resumedAt != 0) {
                    strangers++;
                    note("a second RESUMED");
                }
                resumedAt = at;
                if (previous != null && !f.recovered() && RESUME_FAILED.equals(f.reason())) {
                    resumeFailed = true; // docs/protocol.md: Redis could not be read; retry later
                    return;
                }
                // A client's first connection has no position: recovered:false (no_position) is its due answer.
                if (previous != null && (!f.recovered() || f.notRecovered() > 0)) {
                    notRecovered++;
                    note("resumed after " + previous.closeCode + " with recovered=" + f.recovered()
                            + (f.reason() == null ? "" : " (" + f.reason() + ")") + ", " + f.notRecovered()
                            + " conversations not recovered");
                }
                return;
            }
            if (f.isError() && f.answerTo() < 0 && "resume_busy".equals(f.code()) && resumedAt == 0) {
                resumeBusy++; // and a 1013 close follows: the client resumes again
                return;
            }
            if (f.isError()) {
                Msg m = f.answerTo() >= 0 ? messages.get(f.answerTo()) : null;
                if (m == null || m.sender != this) {
                    strangers++;
                    note("error answering nothing of ours: " + f);
                } else {
                    m.answer(false, 0, f.code(), at);
                }
                return;
            }
            Msg m = f.isText() && f.seq() >= 0 ? messages.get(f.seq()) : null;
            if (m == null) {
                strangers++;
                note("frame of no message we sent: " + f);
                return;
            }
            if (m.conversation != f.conversationId() || !isMember(f.conversationId())) {
                misrouted++;
                note("#" + m.seq + " of conversation " + f.conversationId() + " reached user " + user);
            }
            Long last = lastMessageId.get(f.conversationId());
            if (last != null && f.messageId() < last) {
                outOfOrder++;
                note(m + " (id " + f.messageId() + ") arrived after " + lastMessage.get(f.conversationId()) + " (id "
                        + last + ")" + (f.answerTo() >= 0 ? " as its acknowledgement" : ""));
            }
            if (last == null || f.messageId() > last) {
                lastMessageId.put(f.conversationId(), f.messageId());
                lastMessage.put(f.conversationId(), m);
            }
            if (f.answerTo() >= 0) {
                if (f.answerTo() != m.seq || m.sender != this) {
                    leaked++;
                    note("client_msg_id c" + f.answerTo() + " shown to user " + user);
                } else {
                    m.answer(true, f.messageId(), null, at);
                }
                return;
            }
            if (resumedAt == 0 && previous != null) {
                replayed++;
            }
            if (m.sender == this) {
                ownEchoes++; // the acknowledgement is this connection's copy: a second one is a duplicate
                note("#" + m.seq + " came back to its sender twice");
                return;
            }
            if (m.sender.sameClient(this)) {
                // Sent on an earlier connection of this client: replayed. Its acknowledgement was lost with that
                // connection, or this is a duplicate of it.
                boolean unknown;
                synchronized (m) {
                    if (m.answers == 0) {
                        ownReplayed++;
                        m.answer(true, f.messageId(), null, at);
                        return;
                    }
                    unknown = !m.acked && OUTCOME_UNKNOWN.equals(m.code);
                }
                if (unknown) {
                    // Answered outcome_unknown (Redis too slow to answer): the replay shows the script ran. Counted as
                    // a delivery of an unknown outcome, and, like any reception, at most once.
                    record(m);
                    return;
                }
                ownEchoes++;
                note("#" + m.seq + " came back to its sender (an earlier connection) besides its acknowledgement");
                return;
            }
            record(m);
        }

        private void record(Msg m) {
            if (receivedCount == received.length) {
                received = Arrays.copyOf(received, received.length * 2);
            }
            received[receivedCount++] = m.seq;
        }

        private void note(String anomaly) {
            if (anomalies.size() < 3) {
                anomalies.add(anomaly);
            }
        }

        @Override
        public String toString() {
            return "user " + user + "@node" + node;
        }
    }

    /** Records a connection about to be opened, by {@code user} to {@code node}, member of {@code conversations}. */
    synchronized Conn register(long user, int node, long[] conversations) {
        Conn c = new Conn(user, node, conversations, null);
        connections.add(c);
        return c;
    }

    /**
     * Records a connection about to be opened to {@code node} with {@code ?resume=1}, continuing {@code previous}
     * (closed by now): the same client, owed what its predecessors were.
     */
    synchronized Conn resumed(Conn previous, int node) {
        if (previous.next != null) {
            throw new IllegalStateException(previous + " was resumed already");
        }
        Conn c = new Conn(previous.user, node, previous.conversations, previous);
        previous.next = c;
        connections.add(c);
        return c;
    }

    /** An upgrade the gateway refused, or a connection attempt that failed. */
    void upgradeRefused(String why) {
        upgradesRefused.incrementAndGet();
        synchronized (refusalExamples) {
            if (refusalExamples.size() < 5) {
                refusalExamples.add(why);
            }
        }
    }

    /** Records a message before it is handed to the socket, so its answer always finds it. */
    Msg sent(Conn from, long conversation, long at) {
        int seq = seqs.getAndIncrement();
        Msg m = new Msg(seq, from, conversation, at);
        messages.put(seq, m);
        return m;
    }

    /** Every delivery still in flight has arrived; connections closed after this were open for every message. */
    void quiesced(long at) {
        quiescedAt = at;
    }

    int messagesSent() {
        return seqs.get();
    }

    /** One outbox entry as the soak reads it: the message it names (its {@code client_msg_id}) and its ids. */
    record OutboxEntry(int seq, long conversation, long messageId) {}

    /**
     * Adds the outbox's accounting to {@code v} (issue 13): every acknowledged message is in the outbox exactly once,
     * with the id its sender was told, and nothing refused is. A message answered {@code outcome_unknown} (the
     * script ran or not, its answer was lost with Redis) or never answered may be in it or not; every outbox entry
     * is one of these or acknowledged.
     */
    void outbox(List<OutboxEntry> entries, Outage outage, Verdict v) {
        Map<Integer, List<OutboxEntry>> bySeq = new HashMap<>();
        for (OutboxEntry e : entries) {
            if (messages.containsKey(e.seq())) {
                bySeq.computeIfAbsent(e.seq(), k -> new ArrayList<>()).add(e);
            } else {
                v.add(Count.OUTBOX_UNKNOWN, e.toString());
            }
        }
        for (Msg m : messages.values()) {
            List<OutboxEntry> found = bySeq.getOrDefault(m.seq, List.of());
            if (found.size() > 1) {
                v.add(Count.OUTBOX_DUPLICATED, m + " " + found.size() + " times");
            }
            synchronized (m) {
                if (m.answers == 0) {
                    continue;
                }
                if (m.acked) {
                    if (found.isEmpty()) {
                        v.add(Count.OUTBOX_MISSING, m.toString());
                    } else if (found.get(0).conversation() != m.conversation
                            || found.get(0).messageId() != m.messageId) {
                        v.add(Count.OUTBOX_WRONG_ID, m + " is in the outbox as " + found.get(0));
                    } else {
                        v.add(Count.IN_OUTBOX, 1);
                    }
                } else if (!found.isEmpty()) {
                    v.add(
                            OUTCOME_UNKNOWN.equals(m.code) ? Count.UNKNOWN_IN_OUTBOX : Count.OUTBOX_REFUSED,
                            m.toString());
                }
            }
        }
    }

    /** Judges everything recorded, without the outbox's word on what was admitted. */
    Verdict verdict(Outage outage) {
        return verdict(outage, List.of());
    }

    /**
     * Judges everything recorded. Call once every connection is closed. {@code outbox}: what the backend would read;
     * a message in it was admitted, which tells a withheld acknowledgement from a lost message (below).
     */
    Verdict verdict(Outage outage, List<OutboxEntry> outbox) {
        Set<Integer> admitted = new HashSet<>();
        for (OutboxEntry e : outbox) {
            admitted.add(e.seq());
        }
        Verdict v = new Verdict();
        List<Conn> all;
        synchronized (this) {
            all = List.copyOf(connections);
        }
        int nodes = 0;
        for (Conn c : all) {
            nodes = Math.max(nodes, c.node + 1);
        }
        // Which conversations' steady members (clients, by their first connection) exist, each connection's
        // receptions, and each client's (all its connections') sorted for lookups.
        Map<Long, List<Conn>> steadyMembers = new HashMap<>();
        Map<Conn, int[]> own = new HashMap<>();
        Map<Conn, int[]> sorted = new HashMap<>();
        // Per node and conversation: the highest id of a pre-crash message that reached the node. Redis writes a
        // node's publications in order on one connection, so anything below it was written to that node too.
        List<Map<Long, Long>> preCrashHighest = new ArrayList<>();
        // Per node: the latest acknowledgement of a pre-crash message from another node that reached it: its cut.
        long[] cut = new long[nodes];
        for (int n = 0; n < nodes; n++) {
            preCrashHighest.add(new HashMap<>());
            cut[n] = outage.killedAt() - Outage.DEFAULT_CUT_NANOS;
        }
        boolean[] cutSeen = new boolean[nodes];
        for (Conn c : all) {
            synchronized (c) {
                v.add(Count.FRAMES, c.frames);
                if (c.openedAt != 0) {
                    v.add(Count.CONNECTIONS_OPENED, 1);
                }
                if (c.closedAt != 0 && !c.closedByServer) {
                    v.add(Count.CONNECTIONS_CLOSED, 1);
                }
                if (c.told() && c.closedAt >= outage.restartedAt()) {
                    v.add(Count.TOLD, 1);
                } else if (c.closedByServer && c.closeCode != RELAY_INTERRUPTED && c.next != null) {
                    v.add(Count.CLOSED_THEN_RESUMED, c + " closed with " + c.closeCode);
                } else if (c.closedByServer) {
                    v.add(Count.CLOSED_BY_SERVER, c + " closed by the server with " + c.closeCode);
                }
                boolean acrossOutage = outage.happened()
                        && c.openedAt != 0
                        && c.openedAt < outage.killedAt()
                        && (c.closedAt == 0 || c.closedAt > outage.killedAt());
                long toldBy = outage.resubscribedAt(c.node) == Long.MAX_VALUE
                        ? Long.MAX_VALUE
                        : outage.resubscribedAt(c.node) + Outage.TOLD_BOUND_NANOS;
                if (acrossOutage && !c.told() && (c.closedAt == 0 || c.closedAt > toldBy)) {
                    v.add(
                            Count.UNTOLD,
                            c + " was open across the outage"
                                    + (c.closedAt == 0
                                            ? " and never closed"
                                            : " and closed with " + c.closeCode + " "
                                                    + ms(c.closedAt - outage.restartedAt())
                                                    + " ms after Redis came back"));
                }
                addAnomalies(v, c);
                if (c.previous != null) {
                    if (c.isResumed()) {
                        v.add(Count.RESUMES, 1);
                    } else if (c.resumeFailed && c.next == null) {
                        v.add(Count.NOT_RECOVERED, c + " resumed with failed and never again");
                    } else if (c.openedAt != 0 && c.next == null) {
                        v.add(Count.NOT_RECOVERED, c + " never had an answer to its RESUME");
                    }
                    if (c.resumeFailed) {
                        v.add(Count.RESUME_FAILED, 1);
                        v.add(Count.DISCARDED_AFTER_FAILED, c.discarded);
                    }
                    v.add(Count.REPLAYED, c.replayed);
                }
                v.add(Count.RESUME_BUSY, c.resumeBusy);
                v.add(Count.OWN_REPLAYED, c.ownReplayed);
                int[] r = Arrays.copyOf(c.received, c.receivedCount);
                own.put(c, r);
                for (int seq : r) {
                    Msg m = messages.get(seq);
                    if (m.sentAt < outage.killedAt() && m.acked()) {
                        preCrashHighest.get(c.node).merge(m.conversation, m.messageId(), Math::max);
                        if (m.sender.node != c.node) {
                            long acked = m.answeredAt();
                            cut[c.node] = cutSeen[c.node] ? Math.max(cut[c.node], acked) : acked;
                            cutSeen[c.node] = true;
                        }
                    }
                }
            }
            if (c.previous == null && c.readyAt != Long.MAX_VALUE) {
                for (long conv : c.conversations) {
                    steadyMembers.computeIfAbsent(conv, k -> new ArrayList<>()).add(c);
                }
            }
        }
        for (Conn c : all) {
            if (c.previous != null) {
                continue;
            }
            int[] r = new int[0];
            for (Conn x = c; x != null; x = x.next) {
                int[] mine = own.getOrDefault(x, new int[0]);
                int[] both = Arrays.copyOf(r, r.length + mine.length);
                System.arraycopy(mine, 0, both, r.length, mine.length);
                r = both;
            }
            Arrays.sort(r);
            for (int i = 1; i < r.length; i++) {
                if (r[i] == r[i - 1]) {
                    v.add(Count.DUPLICATED, "#" + r[i] + " twice at " + c + (c.next == null ? "" : " (resumed)"));
                }
            }
            for (Conn x = c; x != null; x = x.next) {
                sorted.put(x, r);
            }
        }
        synchronized (refusalExamples) {
            refusalExamples.forEach(why -> v.add(Count.UPGRADES_REFUSED, why));
            v.add(Count.UPGRADES_REFUSED, upgradesRefused.get() - refusalExamples.size());
        }

        for (int seq = 0; seq < seqs.get(); seq++) {
            Msg m = messages.get(seq);
            v.add(Count.SENT, 1);
            synchronized (m) {
                if (m.answers == 0) {
                    Conn from = m.sender;
                    // On a connection its node then closed with 4002, two ways to go unanswered. Admitted (in the
                    // outbox): a node withholds every acknowledgement it learns once it saw the relay interrupted,
                    // however long the message waited on Redis before that; the sender's resume replays it. Sent
                    // once Redis was back: its answer may still have been on its way at the close (docs/protocol.md:
                    // resend with the same client_msg_id). Anything else was answered with an ERROR, never withheld:
                    // shed at once, refused while Redis was away, outcome_unknown at the crash.
                    if (from.told() && (admitted.contains(m.seq) || m.sentAt >= outage.restartedAt())) {
                        v.add(Count.UNANSWERED_AT_TOLD_CLOSE, 1);
                    } else {
                        v.add(
                                Count.UNANSWERED,
                                m
                                        + (from.closedAt == 0
                                                ? ""
                                                : ", sent " + ms(from.closedAt - m.sentAt)
                                                        + " ms before its connection's close " + from.closeCode));
                    }
                    continue;
                }
                if (m.answers > 1) {
                    v.add(Count.ANSWERED_TWICE, m.toString());
                }
            }
            if (m.acked()) {
                v.add(Count.ACKED, 1);
                owed(
                        v,
                        m,
                        steadyMembers.getOrDefault(m.conversation, List.of()),
                        sorted,
                        own,
                        outage,
                        preCrashHighest,
                        cut);
            } else {
                refused(v, m, all, own, outage);
            }
        }
        return v;
    }

    private void owed(
            Verdict v,
            Msg m,
            List<Conn> members,
            Map<Conn, int[]> sorted,
            Map<Conn, int[]> own,
            Outage outage,
            List<Map<Long, Long>> preCrashHighest,
            long[] cut) {
        for (Conn client : members) {
            // Owed while the client is there: to the end of the run, or, for one whose last connection its node
            // closed with 4002, until then.
            Conn last = client.last();
            boolean openThroughout = client.readyAt <= m.sentAt
                    && (last.closedAt == 0 || last.closedAt >= quiescedAt || (last.told() && m.sentAt < last.closedAt));
            if (m.sender.sameClient(client) || !openThroughout) {
                continue;
            }
            v.add(Count.OWED, 1);
            if (Arrays.binarySearch(sorted.get(client), m.seq) >= 0) {
                v.add(Count.DELIVERED, 1);
                continue;
            }
            // The connection the client had when the message was sent (or had last, between two).
            Conn r = client;
            while (r.next != null && r.next.openedAt != 0 && r.next.openedAt <= m.sentAt) {
                r = r.next;
            }
            if (r.next != null) {
                // A later event of the conversation on that connection means a hole in its live delivery, which the
                // client's resume (listing the highest id it saw there) cannot ask for again.
                boolean overtaken = false;
                for (int seq : own.getOrDefault(r, new int[0])) {
                    Msg later = messages.get(seq);
                    overtaken |= later.conversation == m.conversation && later.messageId() > m.messageId();
                }
                v.add(
                        Count.LOST,
                        m + " never reached " + client + ": sent while its connection to node " + r.node
                                + " was open or closing (closed with " + r.closeCode + " "
                                + ms(r.closedAt - m.sentAt) + " ms later), and its resume on node " + r.next.node
                                + " did not replay it"
                                + (overtaken
                                        ? " (a later event of its conversation reached that connection live)"
                                        : ""));
                continue;
            }
            String what = m + " never reached " + r;
            boolean inGap = m.sentAt >= outage.killedAt() && m.sentAt <= outage.resubscribedAt(r.node);
            if (r.told() && m.sentAt >= outage.killedAt()) {
                v.add(
                        Count.MISSED_THEN_TOLD,
                        what + ", sent " + ms(m.sentAt - outage.restartedAt()) + " ms after Redis was restarted, "
                                + ms(r.closedAt - m.sentAt) + " ms before its 4002 close");
            } else if (r.node == m.sender.node) {
                v.add(
                        Count.LOST,
                        what + " (same node: delivered from the script's own reply"
                                + (r.closedAt == 0
                                        ? ""
                                        : "; sent " + ms(r.closedAt - m.sentAt) + " ms before its close " + r.closeCode)
                                + ")");
            } else if (inGap) {
                v.add(
                        Count.MISSED_UNTOLD,
                        what + ", sent " + ms(m.sentAt - outage.restartedAt())
                                + " ms after Redis was restarted, and the connection was never closed with 4002");
            } else if (m.sentAt < outage.deadAt()
                    && m.answeredAt >= cut[r.node] - Outage.CUT_JITTER_NANOS
                    && preCrashHighest.get(r.node).getOrDefault(m.conversation, 0L) < m.messageId()) {
                v.add(
                        Count.CRASH_EDGE_ACKED_MISSED,
                        what + ", acknowledged " + ms(m.answeredAt - outage.killedAt()) + " ms from the kill, "
                                + ms(m.answeredAt - cut[r.node]) + " ms from the node's cut");
            } else {
                v.add(
                        Count.LOST,
                        what
                                + (r.closedAt == 0
                                        ? ""
                                        : " (sent " + ms(r.closedAt - m.sentAt) + " ms before its close " + r.closeCode
                                                + ")"));
            }
        }
    }

    private void refused(Verdict v, Msg m, List<Conn> all, Map<Conn, int[]> own, Outage outage) {
        boolean relay = "relay_unavailable".equals(m.code);
        boolean unknown = OUTCOME_UNKNOWN.equals(m.code);
        boolean duringOutage = m.answeredAt >= outage.killedAt() && m.sentAt <= outage.resubscribedAt(m.sender.node);
        if (unknown) {
            // Only a lost connection leaves the outcome open: the kill, not a busy Redis.
            v.add(duringOutage ? Count.UNKNOWN : Count.UNKNOWN_WHILE_UP, m.toString());
        } else if ("overloaded".equals(m.code)) {
            v.add(Count.SHED, m.toString()); // a loaded machine may shed; it must still reach nobody (below)
        } else if (!relay) {
            v.add(Count.REFUSED_OTHER, m.toString());
        } else if (!duringOutage) {
            v.add(Count.REFUSED_WHILE_UP, m.toString());
        } else {
            v.add(Count.REFUSED, 1);
        }
        for (Conn r : all) {
            if (Arrays.stream(own.get(r)).noneMatch(seq -> seq == m.seq)) {
                continue;
            }
            // The sender's own node delivers only from the script's reply, which never came for an unknown outcome;
            // a resume replays what the script wrote, on any node.
            if (unknown && (r.node != m.sender.node || r.previous != null)) {
                v.add(Count.UNKNOWN_DELIVERED, m + " reached " + r);
            } else {
                v.add(Count.REFUSED_YET_DELIVERED, m + " reached " + r);
            }
        }
    }

    private static void addAnomalies(Verdict v, Conn c) {
        addN(v, Count.OUT_OF_ORDER, c.outOfOrder, c);
        addN(v, Count.MISROUTED, c.misrouted, c);
        addN(v, Count.CLIENT_MSG_ID_LEAKED, c.leaked, c);
        addN(v, Count.UNEXPECTED_FRAMES, c.strangers, c);
        addN(v, Count.DUPLICATED, c.ownEchoes, c);
        addN(v, Count.NOT_RECOVERED, c.notRecovered, c);
    }

    private static void addN(Verdict v, Count count, int n, Conn c) {
        if (n > 0) {
            v.add(count, c + ": " + String.join(" / ", c.anomalies));
            v.add(count, n - 1);
        }
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }
}
