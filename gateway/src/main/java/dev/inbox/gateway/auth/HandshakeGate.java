package dev.inbox.gateway.auth;

import dev.inbox.gateway.metrics.HandshakeOutcome;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.InetAddress;

/**
 * The limits an upgrade must pass besides credentials: asked once before the token is checked (cheap refusals
 * first: a draining or full node, an address handshaking too fast) and once after (per user, per address). A
 * refusal is answered with its HTTP status and JSON body, and no upgrade. {@code client} is the resolved client
 * address ({@link ClientAddressResolver}), or null for a non-IP connection.
 */
public interface HandshakeGate {
    /** Why an upgrade is refused. */
    record Refusal(HttpResponseStatus status, String code, String message, HandshakeOutcome outcome) {}

    /** {@code null} to go on, or the refusal. Runs on the channel's event loop. */
    Refusal beforeAuthentication(Channel channel, InetAddress client);

    /**
     * {@code null} to admit the connection (and count it against the limits until it closes), or the refusal.
     * Runs on the channel's event loop.
     */
    Refusal admit(Channel channel, InetAddress client, AuthenticatedUser user);
}
