package dev.inbox.protocol;

/**
 * One client-to-server frame, the seeds' shape: {@code {"type":"TEXT","conversation_id":123,"message":"Hello"}},
 * plus an optional {@code client_msg_id} that comes back on the sender's own acknowledgement.
 *
 * @param type           the message type; today always {@code TEXT}
 * @param conversationId the conversation, a positive integer below 2^53
 * @param message        the text, within the configured maximum of code points
 * @param clientMsgId    the client's own id for the message, at most 64 characters, or {@code null}
 */
public record ClientMessage(String type, long conversationId, String message, String clientMsgId) {}
