/**
 * Many nodes, one inbox: Redis carries membership, message ids and messages between nodes.
 *
 * <p>{@link dev.inbox.gateway.relay.RedisAdmission} lets a message in with one Lua script that checks the sender,
 * assigns the {@code message_id} and publishes the already-encoded event once to each node with members connected
 * ({@link dev.inbox.gateway.relay.NodeRegistry}; per member on a Redis Cluster), so ids and publications share one
 * order. {@link dev.inbox.gateway.relay.UserChannels} keeps this node reachable for exactly the users connected to
 * it, and
 * {@link dev.inbox.gateway.relay.RelayReceiver} writes what arrives on them to local connections without decoding
 * it. {@link dev.inbox.gateway.relay.RedisLink} owns the one Redis connection (RESP3, so commands and pub/sub share
 * it and their replies arrive in Redis's order), bounds its queue, and replaces it when pings stop coming back.
 * {@link dev.inbox.gateway.relay.RelayGaps} knows which connections were open while the subscriptions were
 * interrupted, and closes them (4002) once they are whole again. Why order holds across nodes, and what each fault
 * costs, is argued once, in docs/clustering.md.
 */
package dev.inbox.gateway.relay;
