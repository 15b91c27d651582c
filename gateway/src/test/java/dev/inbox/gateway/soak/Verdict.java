package dev.inbox.gateway.soak;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The ledger's conclusion: a count of every kind of outcome, which of them are failures, and a few examples of each
 * failure for the report. Built by one thread ({@link Ledger#verdict}); immutable once returned.
 */
final class Verdict {
    /** Everything counted; {@code failure} marks the counts that must be zero. */
    enum Count {
        SENT(false, "messages sent"),
        ACKED(false, "acknowledged to their sender (the echo with their client_msg_id)"),
        REFUSED(false, "refused with relay_unavailable while the sender's node had no Redis"),
        SHED(false, "shed with overloaded: Redis answered the sender's node too slowly (never delivered)"),
        OWED(false, "deliveries owed: acknowledged message x steady member connection (open for its whole life)"),
        DELIVERED(false, "owed deliveries that arrived"),
        FRAMES(false, "frames received by all connections"),
        CONNECTIONS_OPENED(false, "connections opened"),
        CONNECTIONS_CLOSED(false, "connections closed (client close, answered by the server)"),
        UNKNOWN(false, "answered outcome_unknown during the outage: Redis was lost with the message on the connection"),
        UNKNOWN_DELIVERED(
                false,
                "answered outcome_unknown and delivered on the other node (the script ran, its answer was lost)"),
        MISSED_THEN_TOLD(
                false,
                "owed deliveries sent between the kill and the receiving connection's 4002 close and "
                        + "missed: in its node's relay gap, or in flight at the close (README: relay interrupted)"),
        TOLD(false, "connections the node closed with 4002 (relay interrupted) once Redis was back"),
        CLOSED_THEN_RESUMED(
                false, "connections the server closed otherwise (1001 drain, 1013 slow or resume_busy) then resumed"),
        RESUMES(false, "resumes answered (RESUMED on a connection continuing a closed one)"),
        REPLAYED(false, "events replayed by those resumes (before their RESUMED)"),
        RESUME_BUSY(false, "resumes refused with resume_busy (the client resumes again)"),
        RESUME_FAILED(
                false,
                "resumes answered recovered:false, failed (Redis could not be read): the client closes, resumes again"),
        DISCARDED_AFTER_FAILED(
                false, "frames after a failed RESUMED, which the client drops (the next resume has them)"),
        OWN_REPLAYED(
                false,
                "messages whose acknowledgement was lost with the sender's connection, answered by their replay"),
        NOT_RECOVERED(
                true,
                "resumes answering recovered:false or listing conversations not recovered, or never answered: "
                        + "the soak stays within the history window, so every resume must recover everything"),
        UNANSWERED_AT_TOLD_CLOSE(
                false,
                "on a connection its node then closed with 4002: admitted (in the outbox), its acknowledgement "
                        + "withheld since the connection may have missed a relayed event (the client resumes, which "
                        + "replays it), or sent once Redis was back and still unanswered at the close (the client "
                        + "resends it)"),
        MISSED_UNTOLD(
                true,
                "owed deliveries missed during the receiving node's relay gap by a connection never "
                        + "closed with 4002: a silent miss"),
        UNTOLD(true, "connections open across the outage that their node never closed with 4002"),
        LOST(true, "owed deliveries that never arrived"),
        CRASH_EDGE_ACKED_MISSED(
                false,
                "acknowledged, then lost with Redis on its way to the other node "
                        + "(README: the same edge, the other way)"),
        IN_OUTBOX(false, "acknowledged messages found in the outbox, once each, with the id their sender was told"),
        UNKNOWN_IN_OUTBOX(false, "answered outcome_unknown and in the outbox (the script ran, its answer was lost)"),
        OUTBOX_MISSING(true, "acknowledged messages not in the outbox"),
        OUTBOX_DUPLICATED(true, "messages in the outbox more than once"),
        OUTBOX_WRONG_ID(true, "outbox entries whose conversation or message_id differ from the acknowledgement's"),
        OUTBOX_REFUSED(true, "refused messages in the outbox (issue 13: refused means it is not there)"),
        OUTBOX_UNKNOWN(true, "outbox entries of no message the soak sent"),
        DUPLICATED(true, "a message received twice by one connection"),
        OUT_OF_ORDER(true, "a message_id lower than one the connection already had in that conversation"),
        MISROUTED(true, "a message delivered to a connection that is not a member of its conversation"),
        REFUSED_YET_DELIVERED(true, "refused, yet delivered"),
        UNKNOWN_WHILE_UP(true, "outcome_unknown for a message sent and answered while Redis was up"),
        REFUSED_WHILE_UP(true, "relay_unavailable for a message sent while Redis was up"),
        REFUSED_OTHER(true, "refused with another error code"),
        UNANSWERED(true, "neither acknowledged nor refused"),
        ANSWERED_TWICE(true, "answered more than once"),
        CLIENT_MSG_ID_LEAKED(true, "a client_msg_id shown to a connection other than the sender's"),
        UNEXPECTED_FRAMES(true, "frames the soak cannot account for (unknown message, error answering nothing)"),
        UPGRADES_REFUSED(true, "connection attempts the gateway refused or that failed"),
        CLOSED_BY_SERVER(true, "connections the server closed on its own");

        final boolean failure;
        final String meaning;

        Count(boolean failure, String meaning) {
            this.failure = failure;
            this.meaning = meaning;
        }
    }

    private static final int EXAMPLES = 5;

    private final EnumMap<Count, Long> counts = new EnumMap<>(Count.class);
    private final EnumMap<Count, List<String>> examples = new EnumMap<>(Count.class);

    Verdict() {
        for (Count c : Count.values()) {
            counts.put(c, 0L);
        }
    }

    void add(Count c, long n) {
        counts.merge(c, n, Long::sum);
    }

    /** Counts one and keeps the first few descriptions. */
    void add(Count c, String example) {
        add(c, 1);
        List<String> list = examples.computeIfAbsent(c, k -> new ArrayList<>());
        if (list.size() < EXAMPLES) {
            list.add(example);
        }
    }

    long get(Count c) {
        return counts.get(c);
    }

    Map<Count, Long> counts() {
        return counts;
    }

    List<String> examples(Count c) {
        return examples.getOrDefault(c, List.of());
    }

    /** One line per non-zero failure count, with its examples. */
    List<String> failures() {
        List<String> out = new ArrayList<>();
        for (Count c : Count.values()) {
            if (c.failure && counts.get(c) > 0) {
                out.add(c + "=" + counts.get(c) + " (" + c.meaning + ")"
                        + (examples(c).isEmpty() ? "" : ": " + String.join("; ", examples(c))));
            }
        }
        return out;
    }
}
