package dev.inbox.gateway.auth;

import io.netty.channel.Channel;

/**
 * Told when a connection is being upgraded to a WebSocket as {@code user}: authenticated and accepted, its 101 about
 * to be written (if writing it fails, the connection is closed). Runs on the channel's loop.
 */
@FunctionalInterface
public interface UpgradeListener {
    void upgraded(Channel channel, AuthenticatedUser user);
}
