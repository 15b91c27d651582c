package dev.inbox.gateway.config;

import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where Redis is, parsed once from {@code --redis}: one server, or the seed nodes of a Redis Cluster.
 *
 * <p>The {@link RedisURI}s carry the command timeout and the client name, so operators (and tests) find this
 * gateway's connections in {@code CLIENT LIST}. They are built here and never changed afterwards.
 */
public final class RedisTarget {
    static final String CLIENT_NAME = "inbox-gateway";
    private static final Pattern FORM = Pattern.compile("(rediss?)(\\+cluster)?://(?:([^@/]*)@)?(.+)");
    private static final String EXPECTED =
            " (expected: redis://host:port, rediss://host:port or redis+cluster://host:port,host:port)";

    private final boolean cluster;
    private final List<RedisURI> nodes;
    private final String printable;

    private RedisTarget(boolean cluster, List<RedisURI> nodes, String printable) {
        this.cluster = cluster;
        this.nodes = List.copyOf(nodes);
        this.printable = printable;
    }

    /** Parses {@code redis[s]://[user:password@]host:port[/db]} or {@code redis[s]+cluster://[:password@]h1:p1,h2:p2}. */
    public static RedisTarget parse(String uri, Duration timeout) throws ConfigException {
        Matcher form = FORM.matcher(uri);
        if (!form.matches()) {
            throw new ConfigException("redis: " + masked(uri) + EXPECTED);
        }
        String scheme = form.group(1);
        boolean cluster = form.group(2) != null;
        String credentials = form.group(3) == null ? "" : form.group(3) + "@";
        String rest = form.group(4);
        List<RedisURI> nodes = new ArrayList<>();
        for (String node : cluster ? rest.split(",") : new String[] {rest}) {
            try {
                RedisURI parsed = RedisURI.create(scheme + "://" + credentials + node.trim());
                parsed.setTimeout(timeout);
                parsed.setClientName(CLIENT_NAME);
                nodes.add(parsed);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("redis: " + masked(uri) + EXPECTED);
            }
        }
        return new RedisTarget(cluster, nodes, masked(uri));
    }

    /** Whether the URI was {@code redis+cluster://} (sharded pub/sub). */
    public boolean cluster() {
        return cluster;
    }

    /** The server, or the cluster's seeds. */
    public List<RedisURI> nodes() {
        return nodes;
    }

    /** The first (for a single server, the only) node. */
    public RedisURI node() {
        return nodes.get(0);
    }

    private static String masked(String uri) {
        return uri.replaceAll("//[^@/]*@", "//***@");
    }

    /** The URI without its credentials. */
    @Override
    public String toString() {
        return printable;
    }
}
