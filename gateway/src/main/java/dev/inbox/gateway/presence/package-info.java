/**
 * Presence: whether a user has a connection on any node, and the subscriptions that tell clients when that changes.
 * {@link dev.inbox.gateway.presence.Presence} runs it all on one thread of its own: this node's users going and
 * coming (with the offline debounce), the store ({@link dev.inbox.gateway.presence.LocalPresence} on one node,
 * {@code relay.RedisPresence} on many) and {@link dev.inbox.gateway.presence.PresenceSubscriptions}, which writes each
 * change once and hands it to the connections subscribed to that user. docs/protocol.md, "Presence", is the client's
 * side; docs/clustering.md the Redis keys.
 */
package dev.inbox.gateway.presence;
