/**
 * A connection after its upgrade: {@link dev.inbox.gateway.inbox.InboxFrameHandler} turns text frames into routed
 * messages and answers control frames, {@link dev.inbox.gateway.inbox.KeepaliveHandler} pings quiet connections and
 * closes silent ones. Bad input gets an {@code ERROR} frame and the connection stays open; protocol violations close
 * with the RFC 6455 code.
 */
package dev.inbox.gateway.inbox;
