package dev.inbox.gateway.metrics;

/** How a history read (a {@code HISTORY} frame or the admin API) ended; the {@code outcome} label. */
public enum HistoryOutcome {
    /** Answered, nothing asked for was trimmed. */
    OK("ok"),
    /** Answered with {@code trimmed:true}: events the reader asked for are gone. */
    TRIMMED("trimmed"),
    /** The reader is not a member of the conversation. */
    NOT_A_MEMBER("not_a_member"),
    /** Refused: the connection's previous request was still unanswered ({@code history_busy}). */
    BUSY("busy"),
    /** The store could not be read (Redis unreachable or too slow). */
    FAILED("failed");

    private final String label;

    HistoryOutcome(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
