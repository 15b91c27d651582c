package dev.inbox.gateway.routing;

/**
 * A message as submitted for admission, before it has an id: every field of its event, and what the outbox records
 * beside them. Built once per message on the conversation's owner loop.
 *
 * @param conversationId  the conversation
 * @param senderId        who sends it
 * @param senderName      the sender's name, or {@code null}
 * @param senderAvatar    the sender's picture URL, or {@code null}
 * @param type            the event type ({@code TEXT})
 * @param message         the text
 * @param createdAtMillis when this node accepted it (the event's {@code created_at})
 * @param clientMsgId     the sender's {@code client_msg_id}, or {@code null} (always for the admin API)
 * @param fromAdmin       published through the admin API rather than sent by a client
 */
public record Submitted(
        long conversationId,
        long senderId,
        String senderName,
        String senderAvatar,
        String type,
        String message,
        long createdAtMillis,
        String clientMsgId,
        boolean fromAdmin) {}
