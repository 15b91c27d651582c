package dev.inbox.gateway.auth;

import io.netty.channel.Channel;

/** Told when a connection has completed its WebSocket handshake as {@code user}; runs on the channel's loop. */
@FunctionalInterface
public interface UpgradeListener {
    void upgraded(Channel channel, AuthenticatedUser user);
}
