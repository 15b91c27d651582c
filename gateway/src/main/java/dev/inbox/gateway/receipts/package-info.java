/**
 * Read receipts: each member's read position per conversation ({@link dev.inbox.gateway.receipts.ReadPositions}, in
 * Redis or in memory), moved forward by {@code READ} frames and sent to the members as {@code READ} events, a
 * reader's moves within {@code --read-interval} coalesced into one
 * ({@link dev.inbox.gateway.receipts.ReadEventCoalescer}); the {@code READS} and {@code UNREAD} answers, with unread
 * counts taken from the conversation's bounded history (docs/protocol.md, "Typing and read receipts").
 */
package dev.inbox.gateway.receipts;
