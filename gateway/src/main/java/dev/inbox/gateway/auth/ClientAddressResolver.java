package dev.inbox.gateway.auth;

import dev.inbox.gateway.config.IpBlock;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Who the client really is, behind load balancers. The starting point is the TCP peer, or the source a PROXY
 * protocol header named ({@link #PROXIED}, set before any HTTP is read). Only when that peer is one of the
 * configured trusted proxies is {@code X-Forwarded-For} believed, read right to left past the trusted hops: anyone
 * else could write whatever they like there. Thread-safe and immutable.
 */
public final class ClientAddressResolver {
    /** The client address a PROXY protocol header gave for this connection. */
    public static final AttributeKey<InetAddress> PROXIED = AttributeKey.valueOf("inbox.proxied-address");
    /** The resolved client address of an upgraded connection, for the access log and limits. */
    public static final AttributeKey<InetAddress> CLIENT = AttributeKey.valueOf("inbox.client-address");

    private final List<IpBlock> trusted;

    /** @param trustedProxies the proxies whose X-Forwarded-For is believed */
    public ClientAddressResolver(List<IpBlock> trustedProxies) {
        this.trusted = List.copyOf(trustedProxies);
    }

    /** The client address for a request on {@code channel}; {@code null} when not an IP connection. */
    public InetAddress resolve(Channel channel, HttpHeaders headers) {
        // hasAttr first: attr() would give every connection an empty attribute it keeps for life.
        InetAddress peer = channel.hasAttr(PROXIED) ? channel.attr(PROXIED).get() : null;
        if (peer == null && channel.remoteAddress() instanceof InetSocketAddress a) {
            peer = a.getAddress();
        }
        if (peer == null || !isTrusted(peer)) {
            return peer;
        }
        List<String> forwarded = headers.getAll("X-Forwarded-For");
        InetAddress client = peer;
        for (int h = forwarded.size() - 1; h >= 0; h--) {
            String[] hops = forwarded.get(h).split(",");
            for (int i = hops.length - 1; i >= 0; i--) {
                InetAddress hop = IpBlock.literal(hops[i].trim());
                if (hop == null) {
                    return client; // garbage: stop at the last address we could trust
                }
                client = hop;
                if (!isTrusted(hop)) {
                    return hop;
                }
            }
        }
        return client;
    }

    /** Whether {@code address} is one of the trusted proxies: its sockets carry other clients. */
    public boolean isTrusted(InetAddress address) {
        for (IpBlock block : trusted) {
            if (block.contains(address)) {
                return true;
            }
        }
        return false;
    }
}
