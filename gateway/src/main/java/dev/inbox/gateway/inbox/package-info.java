/**
 * A connection after its upgrade: {@link dev.inbox.gateway.inbox.ConnectionHandler} answers control frames and
 * protocol violations, checks and reassembles messages and holds the outbound bound,
 * {@link dev.inbox.gateway.inbox.Keepalive} pings quiet connections and closes silent ones (one sweep per loop),
 * {@link dev.inbox.gateway.inbox.InboxFrameHandler} (the production {@link dev.inbox.gateway.inbox.InboxEndpoint})
 * turns text messages into routed messages. Bad input gets an
 * {@code ERROR} frame and the connection stays open; protocol violations close with the RFC 6455 code.
 */
package dev.inbox.gateway.inbox;
