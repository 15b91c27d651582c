/**
 * What a conversation said lately: {@link dev.inbox.gateway.history.ConversationHistory} reads a conversation's
 * bounded history of server events by {@code message_id}, for paging ({@code HISTORY} frames, the admin API) and for
 * replay on reconnect. It is written in the admission step that assigns the id, so history order is id order.
 * {@link dev.inbox.gateway.history.LocalHistory} is the single node's store, in memory.
 */
package dev.inbox.gateway.history;
