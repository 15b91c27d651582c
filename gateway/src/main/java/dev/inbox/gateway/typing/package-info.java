/**
 * Typing indicators: {@code TYPING} frames checked for membership, coalesced per sender and conversation, and sent to
 * the other members' connections on every node through the relay, never numbered, stored or waiting on admission;
 * the first thing shed under load (docs/protocol.md, "Typing and read receipts").
 */
package dev.inbox.gateway.typing;
