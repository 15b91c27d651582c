package dev.inbox.protocol;

import java.util.Map;

/**
 * A connection's first frame when opened with {@code ?resume=1}: where the client was, and for the conversations on
 * which it received events since then, the highest {@code message_id} it saw.
 *
 * @param position the opaque token of the client's last {@code RESUMED}, or {@code null} when it has none
 * @param lastSeen per conversation_id, the highest message_id seen since {@code position}
 */
public record ResumeRequest(String position, Map<Long, Long> lastSeen) {
    public ResumeRequest {
        lastSeen = Map.copyOf(lastSeen);
    }
}
