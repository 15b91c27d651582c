package dev.inbox.gateway.config;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IP address or CIDR block from the configuration ({@code 10.0.0.0/8}, {@code ::1}), and whether an address
 * falls inside it. Immutable.
 */
public final class IpBlock {
    private final byte[] network;
    private final byte[] mask;

    private IpBlock(byte[] network, byte[] mask) {
        this.network = network;
        this.mask = mask;
    }

    /**
     * Parses an address or block.
     *
     * @throws ConfigException naming the entry and what was expected
     */
    public static IpBlock parse(String entry) throws ConfigException {
        String e = entry.trim();
        int slash = e.indexOf('/');
        InetAddress address = literal(slash < 0 ? e : e.substring(0, slash));
        if (address == null) {
            throw new ConfigException(entry + " (expected: an IP address or CIDR block)");
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
                throw new ConfigException(entry + " (expected: a prefix length from 0 to " + net.length * 8 + ")");
            }
        }
        byte[] mask = new byte[net.length];
        for (int i = 0; i < mask.length; i++) {
            int remaining = Math.max(0, Math.min(8, bits - 8 * i));
            mask[i] = (byte) (0xFF << (8 - remaining));
        }
        return new IpBlock(net, mask);
    }

    /** Whether {@code address} is inside this block (an IPv4 address is never inside an IPv6 block). */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != network.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if ((a[i] & mask[i]) != (network[i] & mask[i])) {
                return false;
            }
        }
        return true;
    }

    /** An IP literal, never a name lookup; {@code null} when {@code text} is not one. */
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
}
