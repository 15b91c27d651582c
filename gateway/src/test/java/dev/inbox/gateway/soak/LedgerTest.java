package dev.inbox.gateway.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.soak.Verdict.Count;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The soak's accounting, fed hand-made histories: it passes a clean one and names each kind of failure in a broken
 * one, so the soak cannot pass by not looking.
 */
class LedgerTest {
    private static final long S = 1_000_000_000L; // one second of the nanoTime clock
    private static final long CONV = 7;

    private final Ledger ledger = new Ledger();
    /** Steady connections: Ann on node 0, Bob and Cid on node 1, all in conversation 7 from t=1 s. */
    private final Ledger.Conn ann = steady(1, 0);

    private final Ledger.Conn bob = steady(2, 1);
    private final Ledger.Conn cid = steady(3, 1);
    /** Connections resuming others: still open at the end, closed by the client then. */
    private final List<Ledger.Conn> resumers = new ArrayList<>();

    private Ledger.Conn steady(long user, int node) {
        Ledger.Conn c = ledger.register(user, node, new long[] {CONV});
        c.opened(S / 2);
        c.ready(S);
        return c;
    }

    /** {@code from} sends at {@code at}; the answer and deliveries are up to the test. */
    private Ledger.Msg send(Ledger.Conn from, long at) {
        return ledger.sent(from, CONV, at);
    }

    private static ServerFrame delivery(Ledger.Msg m, long messageId) {
        return new ServerFrame("TEXT", m.conversation, messageId, m.sender.user, m.seq(), -1, null);
    }

    private static ServerFrame ack(Ledger.Msg m, long messageId) {
        return new ServerFrame("TEXT", m.conversation, messageId, m.sender.user, m.seq(), m.seq(), null);
    }

    private static ServerFrame refusal(Ledger.Msg m, String code) {
        return new ServerFrame("ERROR", m.conversation, 0, 0, -1, m.seq(), code);
    }

    /** Acknowledged to its sender at {@code at} with {@code id}, delivered to {@code to} right after. */
    private Ledger.Msg chat(Ledger.Conn from, long at, long id, Ledger.Conn... to) {
        Ledger.Msg m = send(from, at);
        from.receive(ack(m, id), at + 1000);
        for (Ledger.Conn c : to) {
            c.receive(delivery(m, id), at + 2000);
        }
        return m;
    }

    /**
     * The run ends: with an outage, its node closes each steady connection with 4002 three seconds after it
     * resubscribed (unless the test closed it otherwise first), as a node does; then everyone leaves.
     */
    private Verdict verdict(Outage outage) {
        return verdict(outage, List.of());
    }

    /** {@link #verdict(Outage)} with what the outbox holds. */
    private Verdict verdict(Outage outage, List<Ledger.OutboxEntry> outbox) {
        long end = 100 * S;
        ledger.quiesced(end);
        for (Ledger.Conn c : List.of(ann, bob, cid)) {
            if (outage.happened()) {
                c.closed(outage.resubscribedAt(c.node) + 3 * S, Ledger.RELAY_INTERRUPTED, true);
            }
            c.closed(end + 1, 1000, false);
        }
        resumers.forEach(c -> c.closed(end + 1, 1000, false));
        return ledger.verdict(outage, outbox);
    }

    /** An outage: killed at 10 s, gone at once, back at 12 s; node 0 resubscribed at 13 s, node 1 at 14 s. */
    private static Outage outage() {
        return new Outage(10 * S, 10 * S + 1000, 12 * S, new long[] {13 * S, 14 * S});
    }

    @Test
    void everyMessageAnsweredOnceAndDeliveredOnceInOrderPasses() {
        chat(ann, 2 * S, 100, bob, cid);
        chat(bob, 3 * S, 101, ann, cid);
        chat(ann, 4 * S, 102, bob, cid);
        Verdict v = verdict(Outage.NONE);
        assertEquals(List.of(), v.failures());
        assertEquals(3, v.get(Count.ACKED));
        assertEquals(6, v.get(Count.OWED), "three messages, two other members each");
        assertEquals(6, v.get(Count.DELIVERED));
    }

    @Test
    void theOutboxMustHoldEveryAcknowledgedMessageOnceAndNothingRefused() {
        Ledger.Msg once = chat(ann, 2 * S, 100, bob, cid);
        Ledger.Msg twice = chat(ann, 3 * S, 101, bob, cid);
        Ledger.Msg missing = chat(ann, 4 * S, 102, bob, cid);
        Ledger.Msg wrongId = chat(ann, 5 * S, 103, bob, cid);
        Ledger.Msg refused = send(bob, 6 * S);
        bob.receive(refusal(refused, "outbox_full"), 6 * S + 1000);
        Ledger.Msg atTheCrash = send(bob, 10 * S - 1000);
        bob.receive(refusal(atTheCrash, "outcome_unknown"), 10 * S + 5000);
        Ledger.Msg refusedAtTheCrash = send(ann, 10 * S - 900);
        ann.receive(refusal(refusedAtTheCrash, "relay_unavailable"), 10 * S + 5000);
        Verdict v = verdict(outage());
        ledger.outbox(
                List.of(
                        new Ledger.OutboxEntry(once.seq(), CONV, 100),
                        new Ledger.OutboxEntry(twice.seq(), CONV, 101),
                        new Ledger.OutboxEntry(twice.seq(), CONV, 101),
                        new Ledger.OutboxEntry(wrongId.seq(), CONV, 999),
                        new Ledger.OutboxEntry(refused.seq(), CONV, 104),
                        new Ledger.OutboxEntry(atTheCrash.seq(), CONV, 105),
                        new Ledger.OutboxEntry(refusedAtTheCrash.seq(), CONV, 107),
                        new Ledger.OutboxEntry(9999, CONV, 106)),
                outage(),
                v);
        assertEquals(2, v.get(Count.IN_OUTBOX), "once, and the first of twice");
        assertEquals(1, v.get(Count.OUTBOX_DUPLICATED));
        assertEquals(1, v.get(Count.OUTBOX_MISSING), missing.toString());
        assertEquals(1, v.get(Count.OUTBOX_WRONG_ID));
        assertEquals(2, v.get(Count.OUTBOX_REFUSED), "outbox_full, and relay_unavailable even at the crash");
        assertEquals(1, v.get(Count.UNKNOWN_IN_OUTBOX));
        assertEquals(1, v.get(Count.OUTBOX_UNKNOWN));
    }

    @Test
    void aDeliveryThatNeverArrivesIsLost() {
        chat(ann, 2 * S, 100, bob); // never reaches Cid
        Verdict v = verdict(Outage.NONE);
        assertEquals(1, v.get(Count.LOST));
        assertTrue(
                v.failures().get(0).contains("never reached user 3@node1"),
                v.failures().toString());
    }

    @Test
    void aMessageReceivedTwiceIsDuplicated() {
        Ledger.Msg m = chat(ann, 2 * S, 100, bob, cid);
        cid.receive(delivery(m, 100), 2 * S + 5000);
        assertEquals(1, verdict(Outage.NONE).get(Count.DUPLICATED));
    }

    @Test
    void aSenderGettingItsOwnMessageBesidesTheAcknowledgementIsDuplicated() {
        Ledger.Msg m = chat(ann, 2 * S, 100, bob, cid);
        ann.receive(delivery(m, 100), 2 * S + 5000);
        assertEquals(1, verdict(Outage.NONE).get(Count.DUPLICATED));
    }

    @Test
    void aLowerIdAfterAHigherOneIsOutOfOrder() {
        Ledger.Msg first = send(ann, 2 * S);
        Ledger.Msg second = send(bob, 2 * S + 10);
        ann.receive(ack(first, 100), 2 * S + 100);
        bob.receive(ack(second, 101), 2 * S + 100);
        ann.receive(delivery(second, 101), 2 * S + 200);
        cid.receive(delivery(second, 101), 2 * S + 200);
        cid.receive(delivery(first, 100), 2 * S + 300); // Cid got 101 before 100
        bob.receive(delivery(first, 100), 2 * S + 300); // so did Bob, whose own 101 came first
        Verdict v = verdict(Outage.NONE);
        assertEquals(2, v.get(Count.OUT_OF_ORDER));
        assertEquals(0, v.get(Count.LOST));
    }

    @Test
    void aMessageNeitherAcknowledgedNorRefusedIsUnanswered() {
        Ledger.Msg m = send(ann, 2 * S);
        bob.receive(delivery(m, 100), 2 * S + 100);
        cid.receive(delivery(m, 100), 2 * S + 100);
        assertEquals(1, verdict(Outage.NONE).get(Count.UNANSWERED));
    }

    @Test
    void aMessageAnsweredTwiceFails() {
        Ledger.Msg m = chat(ann, 2 * S, 100, bob, cid);
        ann.receive(refusal(m, "relay_unavailable"), 2 * S + 9000);
        assertEquals(1, verdict(Outage.NONE).get(Count.ANSWERED_TWICE));
    }

    @Test
    void relayUnavailableWhileRedisIsUpFails() {
        Ledger.Msg m = send(ann, 2 * S);
        ann.receive(refusal(m, "relay_unavailable"), 2 * S + 100);
        Verdict v = verdict(outage());
        assertEquals(1, v.get(Count.REFUSED_WHILE_UP));
        assertEquals(0, v.get(Count.REFUSED));
    }

    @Test
    void relayUnavailableDuringTheOutageIsARefusalThatReachesNobody() {
        Ledger.Msg m = send(bob, 11 * S);
        bob.receive(refusal(m, "relay_unavailable"), 11 * S + 100);
        Verdict v = verdict(outage());
        assertEquals(List.of(), v.failures());
        assertEquals(1, v.get(Count.REFUSED));
        assertEquals(0, v.get(Count.OWED), "a refused message is owed to nobody");
    }

    @Test
    void anyOtherErrorCodeFails() {
        Ledger.Msg m = send(ann, 2 * S);
        ann.receive(refusal(m, "not_a_member"), 2 * S + 100);
        assertEquals(1, verdict(Outage.NONE).get(Count.REFUSED_OTHER));
    }

    @Test
    void anUnknownOutcomeAtTheCrashMayHaveBeenDeliveredOnTheOtherNode() {
        Ledger.Msg m = send(ann, 10 * S - 1000); // in flight as Redis is killed
        bob.receive(delivery(m, 100), 10 * S - 500);
        ann.receive(refusal(m, "outcome_unknown"), 10 * S + 5000);
        Verdict v = verdict(outage());
        assertEquals(List.of(), v.failures());
        assertEquals(1, v.get(Count.UNKNOWN));
        assertEquals(1, v.get(Count.UNKNOWN_DELIVERED));
    }

    @Test
    void refusedAtTheCrashYetDeliveredOnTheOtherNodeFails() {
        Ledger.Msg m = send(ann, 10 * S - 1000); // a refusal must mean nobody got it, even at the crash (issue 13)
        bob.receive(delivery(m, 100), 10 * S - 500);
        ann.receive(refusal(m, "relay_unavailable"), 10 * S + 5000);
        assertEquals(1, verdict(outage()).get(Count.REFUSED_YET_DELIVERED));
    }

    @Test
    void anUnknownOutcomeWhileRedisIsUpFails() {
        Ledger.Msg m = send(ann, 2 * S);
        ann.receive(refusal(m, "outcome_unknown"), 2 * S + 100);
        assertEquals(1, verdict(outage()).get(Count.UNKNOWN_WHILE_UP));
    }

    @Test
    void refusedYetDeliveredOnTheSendersOwnNodeIsNoEdge() {
        Ledger.Msg m = send(bob, 10 * S - 1000); // Bob and Cid share node 1
        cid.receive(delivery(m, 100), 10 * S - 500);
        bob.receive(refusal(m, "relay_unavailable"), 10 * S + 5000);
        assertEquals(1, verdict(outage()).get(Count.REFUSED_YET_DELIVERED));
    }

    @Test
    void refusedAfterATimeoutYetDeliveredFails() {
        Ledger.Msg m = send(ann, 2 * S); // Redis up: the refusal can only be a timeout, and Redis ran it anyway
        bob.receive(delivery(m, 100), 2 * S + 100);
        ann.receive(refusal(m, "relay_unavailable"), 7 * S);
        Verdict v = verdict(outage());
        assertEquals(1, v.get(Count.REFUSED_YET_DELIVERED));
        assertEquals(1, v.get(Count.REFUSED_WHILE_UP));
    }

    @Test
    void missesWhileTheReceivingNodeResubscribesAreAllowedForConnectionsThenClosedWith4002() {
        chat(ann, 13 * S + 10, 200); // node 0 is back; node 1 (Bob, Cid) resubscribes only at 14 s
        chat(ann, 14 * S + 10, 201, bob, cid);
        Verdict v = verdict(outage());
        assertEquals(2, v.get(Count.MISSED_THEN_TOLD));
        assertEquals(3, v.get(Count.TOLD));
        assertEquals(0, v.get(Count.LOST));
        assertEquals(List.of(), v.failures());
    }

    @Test
    void aMissWhileResubscribingOnAConnectionNeverToldIsASilentMiss() {
        bob.closed(100 * S + 1, 1000, false); // Bob stays to the end, and his node never tells him
        chat(ann, 13 * S + 10, 200, cid); // Cid was told (at 17 s), Bob never
        Verdict v = verdict(outage());
        assertEquals(1, v.get(Count.MISSED_UNTOLD));
        assertEquals(1, v.get(Count.UNTOLD));
        assertEquals(2, v.failures().size(), v.failures().toString());
    }

    @Test
    void aConnectionOpenAcrossTheOutageThatLeftBeforeItsNodeCouldTellItIsNotUntold() {
        bob.closed(11 * S, 1000, false); // left during the outage
        Verdict v = verdict(outage());
        assertEquals(0, v.get(Count.UNTOLD));
        assertEquals(List.of(), v.failures());
    }

    @Test
    void a4002CloseWithoutAnOutageIsAServerClose() {
        cid.closed(5 * S, Ledger.RELAY_INTERRUPTED, true);
        Verdict v = verdict(Outage.NONE);
        assertEquals(1, v.get(Count.CLOSED_BY_SERVER));
        assertEquals(0, v.get(Count.TOLD));
    }

    @Test
    void aConnectionClosedWith4002MayMissWhatWasSentFromTheKillToItsCloseButNothingBefore() {
        chat(ann, 16 * S + 500_000_000L, 300, bob); // node 1 resubscribed at 14 s; Cid is closed at 17 s: in flight
        chat(ann, 5 * S, 301, bob); // long before the outage: Cid had it coming
        Verdict v = verdict(outage());
        assertEquals(1, v.get(Count.MISSED_THEN_TOLD));
        assertEquals(1, v.get(Count.LOST));
    }

    @Test
    void onAConnectionThenClosedWith4002OnlyAnAdmittedMessageOrOneSentOnceRedisWasBackMayGoUnanswered() {
        Ledger.Msg admittedLongBefore = send(cid, 5 * S); // its answer still on its way at the kill (10 s)
        Ledger.Msg admittedOnAnn = send(ann, 3 * S); // the same on Ann's connection, also told
        Ledger.Msg afterTheRestart = send(cid, 17 * S - 1000); // Cid is closed with 4002 at 17 s; Redis back at 12 s
        Ledger.Msg atTheKill = send(cid, 10 * S - S / 2); // not admitted: its outcome_unknown is never withheld
        Ledger.Msg duringTheOutage = send(ann, 11 * S); // refused at once: relay_unavailable
        Verdict v = verdict(
                outage(),
                List.of(
                        new Ledger.OutboxEntry(admittedLongBefore.seq(), CONV, 100),
                        new Ledger.OutboxEntry(admittedOnAnn.seq(), CONV, 101)));
        assertEquals(3, v.get(Count.UNANSWERED_AT_TOLD_CLOSE), afterTheRestart.toString());
        java.util.function.UnaryOperator<String> which = e -> e.substring(0, e.indexOf(" unanswered"));
        assertEquals(
                List.of(which.apply(atTheKill.toString()), which.apply(duringTheOutage.toString())),
                v.examples(Count.UNANSWERED).stream().map(which).sorted().toList());
    }

    @Test
    void anAdmittedMessageUnansweredOnAConnectionNeverToldIsAFailure() {
        Ledger.Msg m = send(cid, 5 * S);
        Verdict v = verdict(Outage.NONE, List.of(new Ledger.OutboxEntry(m.seq(), CONV, 100)));
        assertEquals(0, v.get(Count.UNANSWERED_AT_TOLD_CLOSE));
        assertEquals(1, v.get(Count.UNANSWERED));
    }

    /** Cid told with 4002 comes back on node 1: steady again from {@code readyAt}, open to the end. */
    private Ledger.Conn cidAgain(long readyAt) {
        Ledger.Conn c = ledger.register(3, 1, new long[] {CONV});
        c.opened(readyAt - 1000);
        c.ready(readyAt);
        return c;
    }

    @Test
    void aMissAfterTheReceivingNodeResubscribedIsLost() {
        Ledger.Conn again = cidAgain(15 * S);
        chat(ann, 15 * S + 10, 201, bob); // node 1 resubscribed at 14 s; Cid's new connection is owed it
        again.closed(100 * S + 1, 1000, false);
        assertEquals(1, verdict(outage()).get(Count.LOST));
    }

    @Test
    void aMissOnTheSendersOwnNodeIsLostEvenDuringRecovery() {
        Ledger.Conn again = cidAgain(13 * S);
        chat(bob, 13 * S + 10, 200, ann, cid); // shares Bob's node: delivered from the script's own reply
        again.closed(100 * S + 1, 1000, false);
        Verdict v = verdict(outage());
        assertEquals(1, v.get(Count.LOST), v.failures().toString());
        assertTrue(v.failures().get(0).contains("same node"), v.failures().toString());
    }

    @Test
    void acknowledgedAtTheCrashAndNeverRelayedIsTheCrashEdgeTheOtherWay() {
        chat(ann, 10 * S - 2000, 100); // acknowledged just before the kill; nothing after it reached node 1
        Verdict v = verdict(outage());
        assertEquals(2, v.get(Count.CRASH_EDGE_ACKED_MISSED));
        assertEquals(List.of(), v.failures());
    }

    @Test
    void acknowledgedBeforeTheCrashButOvertakenInItsConversationIsPlainLoss() {
        chat(ann, 10 * S - 3000, 100); // never reached node 1 ...
        chat(ann, 10 * S - 2000, 101, bob, cid); // ... though a later message did: Redis had written the first
        Verdict v = verdict(outage());
        assertEquals(2, v.get(Count.LOST));
        assertEquals(0, v.get(Count.CRASH_EDGE_ACKED_MISSED));
    }

    @Test
    void aHoleWellBeforeTheNodesCutIsPlainLossEvenWithNothingLaterInItsConversation() {
        Ledger.Conn dan = ledger.register(4, 0, new long[] {8});
        dan.opened(S / 2);
        dan.ready(S);
        Ledger.Conn eve = ledger.register(5, 1, new long[] {8});
        eve.opened(S / 2);
        eve.ready(S);
        chat(ann, 5 * S, 100); // conversation 7: never reached node 1, and nothing later in 7 did
        Ledger.Msg late = ledger.sent(dan, 8, 9 * S); // conversation 8: reached node 1 just before the crash
        dan.receive(new ServerFrame("TEXT", 8, 300, 4, late.seq(), late.seq(), null), 9 * S + 1000);
        eve.receive(new ServerFrame("TEXT", 8, 300, 4, late.seq(), -1, null), 9 * S + 2000);
        eve.closed(100 * S + 1, 1000, false);
        dan.closed(100 * S + 1, 1000, false);
        Verdict v = verdict(outage());
        assertEquals(2, v.get(Count.LOST), "node 1's stream got past the hole: " + v.failures());
        assertEquals(0, v.get(Count.CRASH_EDGE_ACKED_MISSED));
    }

    @Test
    void aConversationReachingANonMemberIsMisrouted() {
        Ledger.Conn eve = ledger.register(9, 1, new long[] {8});
        eve.opened(S);
        Ledger.Msg m = chat(ann, 2 * S, 100, bob, cid);
        eve.receive(delivery(m, 100), 2 * S + 3000);
        eve.closed(50 * S, 1000, false);
        assertEquals(1, verdict(Outage.NONE).get(Count.MISROUTED));
    }

    @Test
    void aClientMsgIdShownToAnotherConnectionLeaks() {
        Ledger.Msg m = send(ann, 2 * S);
        ann.receive(ack(m, 100), 2 * S + 100);
        bob.receive(ack(m, 100), 2 * S + 100); // Bob sees Ann's client_msg_id
        cid.receive(delivery(m, 100), 2 * S + 100);
        assertEquals(1, verdict(Outage.NONE).get(Count.CLIENT_MSG_ID_LEAKED));
    }

    @Test
    void churningConnectionsAreOwedNothingButStillCountDuplicates() {
        Ledger.Conn churner = ledger.register(1_000_001, 0, new long[] {CONV});
        churner.opened(2 * S);
        Ledger.Msg first = chat(ann, 3 * S, 100, bob, cid);
        chat(ann, 4 * S, 101, bob, cid);
        churner.receive(delivery(first, 100), 3 * S + 3000);
        churner.receive(delivery(first, 100), 3 * S + 4000);
        churner.closed(5 * S, 1000, false);
        Verdict v = verdict(Outage.NONE);
        assertEquals(4, v.get(Count.OWED), "the churner missed #2 and owes nothing for it");
        assertEquals(1, v.get(Count.DUPLICATED));
        assertEquals(0, v.get(Count.LOST));
    }

    @Test
    void serverClosesAndRefusedUpgradesFail() {
        chat(ann, 2 * S, 100, bob, cid);
        ledger.upgradeRefused("user 4: HTTP 429");
        Ledger.Conn dropped = ledger.register(5, 0, new long[] {CONV});
        dropped.opened(2 * S);
        dropped.closed(3 * S, 1013, true);
        Verdict v = verdict(Outage.NONE);
        assertEquals(1, v.get(Count.UPGRADES_REFUSED));
        assertEquals(1, v.get(Count.CLOSED_BY_SERVER));
        assertEquals(2, v.failures().size(), v.failures().toString());
    }

    @Test
    void framesTheSoakDidNotSendAreUnexpected() {
        chat(ann, 2 * S, 100, bob, cid);
        bob.receive(ServerFrame.parse("{\"type\":\"TEXT\",\"conversation_id\":7,\"message\":\"hello\"}"), 3 * S);
        bob.receive(ServerFrame.parse("{\"type\":\"ERROR\",\"code\":\"bad_json\"}"), 3 * S);
        assertEquals(2, verdict(Outage.NONE).get(Count.UNEXPECTED_FRAMES));
    }

    @Test
    void serverFramesAreReadForTheirSoakNumbers() {
        ServerFrame f = ServerFrame.parse(ServerFrame.text(42, 7, "xx")
                .replace(
                        "\"type\":\"TEXT\",",
                        "\"type\":\"TEXT\",\"message_id\":1122781051074560,\"sender_id\":3,\"nested\":{\"a\":[1]},"));
        assertEquals(new ServerFrame("TEXT", 7, 1122781051074560L, 3, 42, 42, null), f);
        assertEquals(
                -1,
                ServerFrame.parse("{\"type\":\"TEXT\",\"message\":\"s12x:\"}").seq());
        assertEquals(null, ServerFrame.parse("[1]").type());
    }

    /** {@code old}, closed by the server with {@code code} at {@code closedAt}, resumed on {@code node} at once. */
    private Ledger.Conn resume(Ledger.Conn old, int code, long closedAt, int node) {
        old.closed(closedAt, code, true);
        Ledger.Conn c = ledger.resumed(old, node);
        c.opened(closedAt + 1000);
        resumers.add(c);
        return c;
    }

    @Test
    void aSlowConsumerThatResumesGetsWhatItMissedByReplayAndPasses() {
        Ledger.Msg seen = chat(ann, 2 * S, 100, bob, cid);
        Ledger.Conn cid2 = resume(cid, 1013, 3 * S, 1);
        Ledger.Msg missed = chat(ann, 3 * S + 500, 101, bob); // sent after Cid's close, before his RESUME
        cid2.receive(delivery(missed, 101), 4 * S);
        cid2.receive(ServerFrame.resumed("e:1-0:2", true, null, 0), 4 * S + 10);
        Ledger.Msg live = chat(bob, 5 * S, 102, ann, cid2);
        Verdict v = verdict(Outage.NONE);
        assertEquals(List.of(), v.failures());
        assertEquals(6, v.get(Count.OWED), "Cid's client is owed all three, across his two connections");
        assertEquals(6, v.get(Count.DELIVERED));
        assertEquals(1, v.get(Count.RESUMES));
        assertEquals(1, v.get(Count.REPLAYED));
        assertEquals(1, v.get(Count.CLOSED_THEN_RESUMED));
        assertTrue(seen.acked() && live.acked());
    }

    @Test
    void aResumeThatLosesOneFailsWhateverClosedTheConnection() {
        for (int code : new int[] {1001, 1013}) {
            LedgerTest t = new LedgerTest();
            Ledger.Conn cid2 = t.resume(t.cid, code, 3 * S, 0);
            t.chat(t.ann, 3 * S + 500, 101, t.bob); // neither live (Cid was away) nor replayed
            cid2.receive(ServerFrame.resumed("e:1-0:2", true, null, 0), 4 * S);
            Verdict v = t.verdict(Outage.NONE);
            assertEquals(1, v.get(Count.LOST), code + ": " + v.failures());
            assertTrue(
                    v.failures().get(0).contains("did not replay it"),
                    v.failures().toString());
        }
    }

    @Test
    void aResumeThatReplaysWhatTheClientHadIsADuplicate() {
        Ledger.Msg m = chat(ann, 2 * S, 100, bob, cid);
        Ledger.Conn cid2 = resume(cid, 1013, 3 * S, 1);
        cid2.receive(delivery(m, 100), 4 * S); // Cid had it on his first connection
        cid2.receive(ServerFrame.resumed("e:1-0:2", true, null, 0), 4 * S + 10);
        Verdict v = verdict(Outage.NONE);
        assertEquals(1, v.get(Count.DUPLICATED), v.failures().toString());
        assertEquals(1, v.failures().size(), v.failures().toString());
    }

    @Test
    void aReplayBelowWhatTheClientHadIsOutOfOrder() {
        Ledger.Msg first = send(ann, 2 * S);
        Ledger.Msg second = send(ann, 2 * S + 10);
        ann.receive(ack(first, 100), 2 * S + 100);
        ann.receive(ack(second, 101), 2 * S + 100);
        bob.receive(delivery(first, 100), 2 * S + 200);
        bob.receive(delivery(second, 101), 2 * S + 200);
        cid.receive(delivery(second, 101), 2 * S + 200); // Cid missed 100 live...
        Ledger.Conn cid2 = resume(cid, 1001, 3 * S, 0);
        cid2.receive(delivery(first, 100), 4 * S); // ...and the replay brings it after 101
        cid2.receive(ServerFrame.resumed("e:1-0:2", true, null, 0), 4 * S + 10);
        assertEquals(1, verdict(Outage.NONE).get(Count.OUT_OF_ORDER));
    }

    @Test
    void aResumeNotRecoveringEverythingFails() {
        Ledger.Conn cid2 = resume(cid, 1013, 3 * S, 1);
        cid2.receive(ServerFrame.resumed("e:1-0:2", false, "too_many", 0), 4 * S);
        Ledger.Conn bob2 = resume(bob, 1013, 3 * S, 1);
        bob2.receive(ServerFrame.resumed("e:1-0:2", true, null, 1), 4 * S);
        resume(ann, 1001, 3 * S, 1); // never answered
        Verdict v = verdict(Outage.NONE);
        assertEquals(3, v.get(Count.NOT_RECOVERED), v.failures().toString());
        assertEquals(2, v.get(Count.RESUMES), "answered, if not recovered");
    }

    @Test
    void aFirstConnectionsNoPositionAnswerIsNoFailure() {
        ann.receive(ServerFrame.resumed("e:1-0:0", false, "no_position", 0), S);
        chat(ann, 2 * S, 100, bob, cid);
        assertEquals(List.of(), verdict(Outage.NONE).failures());
    }

    @Test
    void aMissInTheRelayGapIsLostWhenTheToldConnectionResumedWithoutIt() {
        // Node 1 resubscribed at 14 s; Cid is told at 17 s and resumes: what he missed in the gap must be replayed.
        Ledger.Msg replayed = chat(ann, 13 * S + 10, 200, bob);
        chat(ann, 14 * S + 10, 201, bob);
        Ledger.Conn cid2 = resume(cid, Ledger.RELAY_INTERRUPTED, 17 * S, 1);
        cid2.receive(delivery(replayed, 200), 18 * S);
        cid2.receive(ServerFrame.resumed("e:1-0:2", true, null, 0), 18 * S + 10);
        ann.closed(17 * S, Ledger.RELAY_INTERRUPTED, true);
        bob.closed(17 * S, Ledger.RELAY_INTERRUPTED, true);
        Verdict v = verdict(outage());
        assertEquals(0, v.get(Count.MISSED_THEN_TOLD), "no excuse for a client that resumed");
        assertEquals(1, v.get(Count.LOST), v.failures().toString());
        assertEquals(3, v.get(Count.TOLD));
    }

    @Test
    void anAcknowledgementLostWithItsConnectionIsAnsweredByTheReplay() {
        Ledger.Msg m = send(cid, 2 * S); // its answer never came: Cid was closed first
        bob.receive(delivery(m, 100), 2 * S + 200);
        ann.receive(delivery(m, 100), 2 * S + 200);
        Ledger.Conn cid2 = resume(cid, 1013, 2 * S + 100, 1);
        cid2.receive(delivery(m, 100), 3 * S);
        cid2.receive(ServerFrame.resumed("e:1-0:2", true, null, 0), 3 * S + 10);
        Verdict v = verdict(Outage.NONE);
        assertEquals(List.of(), v.failures());
        assertEquals(1, v.get(Count.OWN_REPLAYED));
        assertEquals(1, v.get(Count.ACKED));
        assertEquals(0, v.get(Count.DUPLICATED));
    }

    @Test
    void aBusyResumeThenAnotherThatReplaysPasses() {
        Ledger.Conn cid2 = resume(cid, 1001, 3 * S, 1);
        Ledger.Msg missed = chat(ann, 3 * S + 500, 101, bob);
        cid2.receive(ServerFrame.parse("{\"type\":\"ERROR\",\"code\":\"resume_busy\"}"), 3 * S + 600);
        resumers.remove(cid2);
        Ledger.Conn cid3 = resume(cid2, 1013, 3 * S + 700, 0);
        cid3.receive(delivery(missed, 101), 4 * S);
        cid3.receive(ServerFrame.resumed("e:1-0:2", true, null, 0), 4 * S + 10);
        Verdict v = verdict(Outage.NONE);
        assertEquals(List.of(), v.failures());
        assertEquals(1, v.get(Count.RESUME_BUSY));
        assertEquals(2, v.get(Count.CLOSED_THEN_RESUMED));
        assertEquals(1, v.get(Count.RESUMES));
    }

    @Test
    void resumedFramesAreRead() {
        ServerFrame f = ServerFrame.parse("{\"type\":\"RESUMED\",\"position\":\"ab:1-0:3\",\"recovered\":true,"
                + "\"replayed\":2,\"not_recovered\":[{\"conversation_id\":3,\"reason\":\"not_a_member\"}]}");
        assertEquals(ServerFrame.resumed("ab:1-0:3", true, null, 1), f);
        assertEquals(
                "{\"type\":\"RESUME\",\"position\":null,\"conversations\":[]}",
                ServerFrame.resume(null, java.util.Map.of()));
    }

    @Test
    void aFailedResumeIsRetriedAndWhatCameAfterItIsDroppedNotCounted() {
        Ledger.Conn cid2 = resume(cid, 1013, 3 * S, 1);
        Ledger.Msg missed = chat(ann, 3 * S + 500, 101, bob);
        cid2.receive(ServerFrame.resumed(null, false, Ledger.RESUME_FAILED, 0), 4 * S);
        Ledger.Msg afterFailure = chat(ann, 4 * S + 100, 102, bob, cid2); // dropped by the client
        resumers.remove(cid2);
        cid2.closed(4 * S + 200, 1000, false);
        Ledger.Conn cid3 = ledger.resumed(cid2, 1);
        cid3.opened(5 * S);
        resumers.add(cid3);
        cid3.receive(delivery(missed, 101), 5 * S + 10);
        cid3.receive(delivery(afterFailure, 102), 5 * S + 20);
        cid3.receive(ServerFrame.resumed("e:1-0:2", true, null, 0), 5 * S + 30);
        Verdict v = verdict(Outage.NONE);
        assertEquals(List.of(), v.failures());
        assertEquals(1, v.get(Count.RESUME_FAILED));
        assertEquals(1, v.get(Count.DISCARDED_AFTER_FAILED));
    }

    @Test
    void aFailedResumeNeverRetriedFails() {
        Ledger.Conn cid2 = resume(cid, 1013, 3 * S, 1);
        cid2.receive(ServerFrame.resumed(null, false, Ledger.RESUME_FAILED, 0), 4 * S);
        assertEquals(1, verdict(Outage.NONE).get(Count.NOT_RECOVERED));
    }

    @Test
    void anUnknownOutcomeReplayedToItsSenderIsNoDuplicateButOnlyOnce() {
        Ledger.Msg m = send(cid, 2 * S);
        cid.receive(refusal(m, Ledger.OUTCOME_UNKNOWN), 2 * S + 100); // Redis answered too late; the script ran
        Ledger.Conn cid2 = resume(cid, 1013, 3 * S, 1);
        cid2.receive(delivery(m, 100), 4 * S);
        cid2.receive(ServerFrame.resumed("e:1-0:2", true, null, 0), 4 * S + 10);
        Verdict v = verdict(Outage.NONE);
        assertEquals(1, v.get(Count.UNKNOWN_DELIVERED));
        assertEquals(0, v.get(Count.DUPLICATED));
        cid2.receive(delivery(m, 100), 5 * S);
        assertEquals(1, ledger.verdict(Outage.NONE).get(Count.DUPLICATED));
    }
}
