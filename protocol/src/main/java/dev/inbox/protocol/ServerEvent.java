package dev.inbox.protocol;

/**
 * One server-to-client event, the seeds' shape: {@code type}, {@code message}, {@code conversation_id},
 * {@code sender_id}, {@code sender_name}, {@code sender_avatar}, {@code created_at}, {@code message_id}.
 *
 * @param type            the message type, as the sender gave it
 * @param message         the text
 * @param conversationId  the conversation
 * @param senderId        the sender's user id, taken from the sender's credentials, never from the frame
 * @param senderName      the sender's display name ({@code name} claim), or {@code null} to omit it
 * @param senderAvatar    the sender's avatar URL ({@code picture} claim), or {@code null} to omit it
 * @param createdAtMillis when the gateway accepted the message, epoch milliseconds (written as RFC 3339 UTC)
 * @param messageId       assigned by the gateway: positive, unique and increasing within the conversation, below 2^53
 */
public record ServerEvent(
        String type,
        String message,
        long conversationId,
        long senderId,
        String senderName,
        String senderAvatar,
        long createdAtMillis,
        long messageId) {
    /**
     * Most characters (code points) of {@code sender_name}, wherever it comes from: a display name with room to spare.
     * Every member receives it with every message, so it is bounded like {@code message} is (issue 11: a 900 KB name
     * given to the admin API went to every member).
     */
    public static final int MAX_SENDER_NAME_CHARS = 128;
    /** Most characters of {@code sender_avatar}: a URL, and 2048 is the longest every browser and CDN takes. */
    public static final int MAX_SENDER_AVATAR_CHARS = 2048;
}
