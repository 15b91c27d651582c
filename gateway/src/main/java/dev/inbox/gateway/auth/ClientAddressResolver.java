package dev.inbox.gateway.auth;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AttributeKey;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
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

    private final List<byte[][]> trusted; // each: {network bytes, mask bytes}

    /**
     * @param trustedProxies addresses or CIDR blocks ({@code 10.0.0.0/8}, {@code ::1}) whose X-Forwarded-For is
     *                       believed
     * @throws IllegalArgumentException for an entry that is not an IP address or block
     */
    public ClientAddressResolver(List<String> trustedProxies) {
        List<byte[][]> t = new ArrayList<>();
        for (String entry : trustedProxies) {
            t.add(parseBlock(entry));
        }
        this.trusted = List.copyOf(t);
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
                InetAddress hop = literal(hops[i].trim());
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

    private boolean isTrusted(InetAddress address) {
        byte[] a = address.getAddress();
        for (byte[][] block : trusted) {
            byte[] net = block[0];
            byte[] mask = block[1];
            if (net.length != a.length) {
                continue;
            }
            boolean match = true;
            for (int i = 0; i < a.length && match; i++) {
                match = (a[i] & mask[i]) == (net[i] & mask[i]);
            }
            if (match) {
                return true;
            }
        }
        return false;
    }

    /** An IP literal, never a name lookup. */
    public static InetAddress literal(String text) {
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(text);
        if (bytes == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static byte[][] parseBlock(String entry) {
        String e = entry.trim();
        int slash = e.indexOf('/');
        InetAddress address = literal(slash < 0 ? e : e.substring(0, slash));
        if (address == null) {
            throw new IllegalArgumentException(entry + " (expected: an IP address or CIDR block)");
        }
        byte[] net = address.getAddress();
        int bits = net.length * 8;
        if (slash >= 0) {
            try {
                bits = Integer.parseInt(e.substring(slash + 1));
            } catch (NumberFormatException x) {
                bits = -1;
            }
            if (bits < 0 || bits > net.length * 8) {
                throw new IllegalArgumentException(entry + " (expected: a prefix length from 0 to " + net.length * 8 + ")");
            }
        }
        byte[] mask = new byte[net.length];
        for (int i = 0; i < mask.length; i++) {
            int remaining = Math.max(0, Math.min(8, bits - 8 * i));
            mask[i] = (byte) (0xFF << (8 - remaining));
        }
        return new byte[][]{net, mask};
    }
}
