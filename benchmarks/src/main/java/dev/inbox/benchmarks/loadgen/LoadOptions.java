package dev.inbox.benchmarks.loadgen;

import dev.inbox.testkit.SettingParser;
import io.netty.channel.epoll.Epoll;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The load generator's configuration, parsed and validated once from the command line; the only reader of
 * {@link Flag}s. A bad value stops the run before anything connects, with one line naming the flag, the value and
 * what was expected.
 */
record LoadOptions(
        Mode mode,
        Scenario scenario,
        List<URI> nodes,
        List<URI> admins,
        String apiKey,
        String jwtSecret,
        int users,
        int groupSize,
        int senders,
        int connectionsPerUser,
        double rate,
        int messageChars,
        Duration warmup,
        Duration warmupMax,
        Duration duration,
        Duration drain,
        Duration tick,
        int connections,
        int threads,
        boolean epoll,
        int connectConcurrency,
        Duration handshakeTimeout,
        List<InetAddress> sourceAddresses,
        List<Long> nodePids,
        Path json,
        boolean allowRefusals) {

    enum Mode {
        THROUGHPUT,
        MEMORY
    }

    /** A flag with a bad value, or a contradiction between flags. */
    static final class BadFlag extends Exception {
        private static final long serialVersionUID = 1L;

        BadFlag(String message) {
            super(message);
        }
    }

    /** Thrown for {@code --help}. */
    static final class HelpRequested extends Exception {
        private static final long serialVersionUID = 1L;

        HelpRequested() {
            super("help");
        }
    }

    boolean dev() {
        return jwtSecret == null;
    }

    /** Connections that send, in total: every connection of every sending user. */
    int sendingConnections() {
        return scenario.sendingUsers(users, senders) * connectionsPerUser;
    }

    static LoadOptions parse(String... args) throws BadFlag, HelpRequested {
        Map<Flag, String> raw = new EnumMap<>(Flag.class);
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new BadFlag(arg + ": not a flag (expected --name value; see --help)");
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Flag flag = Flag.named(name);
            if (flag == null) {
                throw new BadFlag("--" + name + ": unknown flag (see --help)");
            }
            if (flag.isSwitch()) {
                if (value != null) {
                    throw new BadFlag("--" + name + ": takes no value");
                }
                value = "true";
            } else if (value == null) {
                if (i + 1 >= args.length) {
                    throw new BadFlag("--" + name + ": missing value (expected: " + flag.value + ")");
                }
                value = args[++i];
            }
            if (raw.put(flag, value) != null) {
                throw new BadFlag("--" + name + ": given twice");
            }
        }
        if (raw.containsKey(Flag.HELP)) {
            throw new HelpRequested();
        }
        for (Flag f : Flag.values()) {
            if (f.defaultValue != null) {
                raw.putIfAbsent(f, f.defaultValue);
            }
        }
        return build(raw);
    }

    private static LoadOptions build(Map<Flag, String> raw) throws BadFlag {
        Mode mode = switch (raw.get(Flag.MODE)) {
            case "throughput" -> Mode.THROUGHPUT;
            case "memory" -> Mode.MEMORY;
            default -> throw bad(Flag.MODE, raw.get(Flag.MODE), "throughput or memory");
        };
        Scenario scenario = Scenario.named(raw.get(Flag.SCENARIO));
        if (scenario == null) {
            throw bad(Flag.SCENARIO, raw.get(Flag.SCENARIO), "dm, group, broadcast or mixed");
        }
        List<URI> nodes = new ArrayList<>();
        for (String s : list(raw.get(Flag.NODES))) {
            nodes.add(wsUri(s));
        }
        if (nodes.isEmpty()) {
            throw bad(Flag.NODES, raw.get(Flag.NODES), "one or more ws:// URLs");
        }
        List<URI> admins = new ArrayList<>();
        for (String s : list(raw.get(Flag.ADMIN))) {
            admins.add(httpUri(s));
        }
        if (admins.size() != 1 && admins.size() != nodes.size()) {
            throw bad(Flag.ADMIN, raw.get(Flag.ADMIN), "one URL, or one per node (" + nodes.size() + ")");
        }
        boolean dev = raw.containsKey(Flag.DEV);
        String secret = raw.get(Flag.JWT_SECRET);
        if (dev == (secret != null)) {
            throw new BadFlag("authentication: pass exactly one of --dev and --jwt-secret");
        }
        if (secret != null && secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 32) {
            throw bad(
                    Flag.JWT_SECRET,
                    "(" + secret.length() + " characters)",
                    "at least 32 bytes, as the gateway requires");
        }
        int users = integer(raw, Flag.USERS, 1, 10_000_000);
        int groupSize = integer(raw, Flag.GROUP_SIZE, 2, 10_000_000);
        int senders = integer(raw, Flag.SENDERS, 1, 10_000_000);
        int perUser = integer(raw, Flag.CONNECTIONS_PER_USER, 1, 1000);
        String check = scenario.check(users, groupSize, senders);
        if (mode == Mode.THROUGHPUT && check != null) {
            throw new BadFlag(check);
        }
        double rate = decimal(raw, Flag.RATE);
        int messageChars = integer(raw, Flag.MESSAGE_CHARS, MessageText.MIN_CHARS, 1_000_000);
        Duration warmup = duration(raw, Flag.WARMUP, Duration.ZERO);
        Duration warmupMax = raw.containsKey(Flag.WARMUP_MAX) ? duration(raw, Flag.WARMUP_MAX, warmup) : warmup;
        Duration measured = duration(raw, Flag.DURATION, Duration.ofMillis(100));
        Duration drain = duration(raw, Flag.DRAIN, Duration.ZERO);
        Duration tick = duration(raw, Flag.TICK, Duration.ofMillis(1));
        int connections = integer(raw, Flag.CONNECTIONS, 1, 10_000_000);
        int threads = integer(raw, Flag.THREADS, 1, 1024);
        String transport = raw.getOrDefault(Flag.TRANSPORT, "epoll");
        if (!transport.equals("epoll") && !transport.equals("nio")) {
            throw bad(Flag.TRANSPORT, transport, "epoll or nio");
        }
        int concurrency = integer(raw, Flag.CONNECT_CONCURRENCY, 1, 1_000_000);
        Duration handshakeTimeout = duration(raw, Flag.HANDSHAKE_TIMEOUT, Duration.ofMillis(100));
        List<InetAddress> sources = new ArrayList<>();
        for (String s : list(raw.get(Flag.SOURCE_ADDRESSES))) {
            sources.add(address(s));
        }
        List<Long> pids = new ArrayList<>();
        for (String s : list(raw.get(Flag.NODE_PID))) {
            try {
                pids.add(Long.parseLong(s));
            } catch (NumberFormatException e) {
                throw bad(Flag.NODE_PID, s, "a process id");
            }
        }
        if (!pids.isEmpty() && pids.size() != nodes.size()) {
            throw bad(Flag.NODE_PID, raw.get(Flag.NODE_PID), "one process id per node (" + nodes.size() + ")");
        }
        if (warmupMax.compareTo(warmup) > 0 && pids.isEmpty()) {
            throw new BadFlag("--warmup-max: needs --node-pid (the nodes' JIT threads are read from /proc)");
        }
        if (mode == Mode.MEMORY) {
            if (nodes.size() != 1) {
                throw bad(Flag.NODES, raw.get(Flag.NODES), "exactly one node in memory mode");
            }
            if (pids.isEmpty()) {
                throw new BadFlag(
                        "--node-pid: required in memory mode (the node is garbage-collected and its RSS read)");
            }
        }
        Path json = raw.containsKey(Flag.JSON) ? Path.of(raw.get(Flag.JSON)) : null;
        return new LoadOptions(
                mode,
                scenario,
                List.copyOf(nodes),
                List.copyOf(admins),
                raw.get(Flag.API_KEY),
                secret,
                users,
                groupSize,
                senders,
                perUser,
                rate,
                messageChars,
                warmup,
                warmupMax,
                measured,
                drain,
                tick,
                connections,
                threads,
                transport.equals("epoll") && epollAvailable(),
                concurrency,
                handshakeTimeout,
                List.copyOf(sources),
                List.copyOf(pids),
                json,
                raw.containsKey(Flag.ALLOW_REFUSALS));
    }

    /** Epoll where its native library loads (the jar carries it for Linux); otherwise the run falls back to NIO. */
    private static boolean epollAvailable() {
        try {
            return Epoll.isAvailable();
        } catch (Throwable t) { // NoClassDefFoundError, UnsatisfiedLinkError: no native part for this machine
            return false;
        }
    }

    private static List<String> list(String value) {
        List<String> out = new ArrayList<>();
        if (value != null) {
            for (String s : value.split(",")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
        }
        return out;
    }

    private static URI wsUri(String s) throws BadFlag {
        URI u = uri(Flag.NODES, s, "ws");
        String path =
                u.getPath() == null || u.getPath().isEmpty() || u.getPath().equals("/") ? "/ws/inbox/" : u.getPath();
        return URI.create("ws://" + u.getHost() + ":" + u.getPort() + path);
    }

    private static URI httpUri(String s) throws BadFlag {
        URI u = uri(Flag.ADMIN, s, "http");
        return URI.create("http://" + u.getHost() + ":" + u.getPort());
    }

    private static URI uri(Flag flag, String s, String scheme) throws BadFlag {
        try {
            URI u = new URI(s);
            if (!scheme.equals(u.getScheme()) || u.getHost() == null || u.getPort() < 0) {
                throw bad(flag, s, scheme + "://host:port");
            }
            return u;
        } catch (java.net.URISyntaxException e) {
            throw bad(flag, s, scheme + "://host:port");
        }
    }

    private static InetAddress address(String s) throws BadFlag {
        // A literal only: a name would be resolved now, and a bind address must be exactly what was asked for.
        if (!s.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            throw bad(Flag.SOURCE_ADDRESSES, s, "IP address literals");
        }
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw bad(Flag.SOURCE_ADDRESSES, s, "IP address literals");
        }
    }

    private static int integer(Map<Flag, String> raw, Flag flag, int min, int max) throws BadFlag {
        String s = raw.get(flag);
        try {
            return (int) SettingParser.integer(s, min, max);
        } catch (SettingParser.BadValue e) {
            throw bad(flag, s, e.expected());
        }
    }

    private static double decimal(Map<Flag, String> raw, Flag flag) throws BadFlag {
        String s = raw.get(flag);
        try {
            double v = Double.parseDouble(s);
            if (!(v > 0) || Double.isInfinite(v)) {
                throw bad(flag, s, "a positive number");
            }
            return v;
        } catch (NumberFormatException e) {
            throw bad(flag, s, "a positive number");
        }
    }

    static Duration duration(Map<Flag, String> raw, Flag flag, Duration min) throws BadFlag {
        String s = raw.get(flag).trim().toLowerCase(Locale.ROOT);
        Duration d;
        try {
            d = SettingParser.duration(s, "a duration such as 500ms, 20s or 2m");
        } catch (SettingParser.BadValue e) {
            throw bad(flag, s, e.expected());
        }
        if (d.compareTo(min) < 0) {
            throw bad(flag, s, "at least " + min.toMillis() + "ms");
        }
        return d;
    }

    private static BadFlag bad(Flag flag, String value, String expected) {
        return new BadFlag(SettingParser.problem("--" + flag.name, value, expected));
    }
}
