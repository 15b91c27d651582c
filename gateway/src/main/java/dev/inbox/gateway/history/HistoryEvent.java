package dev.inbox.gateway.history;

/**
 * One event of a conversation's history.
 *
 * @param messageId its {@code message_id}
 * @param frame     the server event exactly as live members received it: UTF-8 JSON text, {@code message_id} filled
 *                  in, without the sender-only {@code client_msg_id}. A byte array, so history owns no
 *                  {@code ByteBuf}: whoever writes it to a socket wraps it. Not copied: do not modify it.
 */
public record HistoryEvent(long messageId, byte[] frame) {}
