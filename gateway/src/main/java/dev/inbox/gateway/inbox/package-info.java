/**
 * A connection after its upgrade: {@link dev.inbox.gateway.inbox.ControlFrameHandler} answers control frames and
 * protocol violations, {@link dev.inbox.gateway.inbox.InboxFrameHandler} (the production
 * {@link dev.inbox.gateway.inbox.InboxEndpoint}) turns text messages into routed messages,
 * {@link dev.inbox.gateway.inbox.KeepaliveHandler} pings quiet connections and closes silent ones. Bad input gets an
 * {@code ERROR} frame and the connection stays open; protocol violations close with the RFC 6455 code.
 */
package dev.inbox.gateway.inbox;
