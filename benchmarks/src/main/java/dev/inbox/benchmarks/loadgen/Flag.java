package dev.inbox.benchmarks.loadgen;

/**
 * Every flag of the load generator, with its default and its one-line documentation: {@code --help} prints this
 * table, {@link LoadOptions#parse} accepts exactly these, and a test checks that benchmarks/README.md lists them all.
 */
enum Flag {
    HELP("help", null, null, "print this table and exit"),
    MODE(
            "mode",
            "throughput|memory",
            "throughput",
            "throughput: send and measure deliveries; memory: open idle connections and measure the node"),
    NODES(
            "nodes",
            "ws://h:p,...",
            "ws://127.0.0.1:8080",
            "public WebSocket URL of each node (path /ws/inbox/ added when absent); users go round-robin over them"),
    ADMIN(
            "admin",
            "http://h:p,...",
            "http://127.0.0.1:8081",
            "admin URL: one, or one per node in --nodes order; the first sets membership, each is read for /metrics"),
    API_KEY("api-key", "key", "dev-api-key", "admin API key"),
    DEV("dev", null, null, "authenticate with ?user_id=N&name=... (the node must run with --dev)"),
    JWT_SECRET(
            "jwt-secret", "secret", null, "mint an HS256 token per user (sub = user id, 1 h expiry) instead of --dev"),
    SCENARIO(
            "scenario",
            "dm|group|broadcast|mixed",
            "group",
            "dm: conversations of 2; group: of --group-size; broadcast: one conversation of every user; mixed: group,"
                    + " and with every message 5 TYPING and 1 READ"),
    USERS("users", "N", "1000", "users, numbered 1..N; each belongs to exactly one conversation"),
    GROUP_SIZE("group-size", "S", "10", "members per conversation in the group scenario (--users a multiple of it)"),
    SENDERS(
            "senders",
            "K",
            "1",
            "broadcast scenario: how many users send (the first K); dm and group: every user sends"),
    CONNECTIONS_PER_USER(
            "connections-per-user",
            "C",
            "1",
            "connections each user opens (all on the user's node); each one sends and receives"),
    RATE(
            "rate",
            "msgs/s",
            "1000",
            "messages per second in total, spread evenly over every sending connection (open model)"),
    MESSAGE_CHARS(
            "message-chars", "N", "64", "characters of each message text (at least " + MessageText.MIN_CHARS + ")"),
    WARMUP("warmup", "duration", "5s", "sending before the measured window; excluded from rate and latency"),
    WARMUP_MAX(
            "warmup-max",
            "duration",
            null,
            "past --warmup, keep warming up until every node's JIT compiler threads used under "
                    + (int) (ThroughputRun.JIT_QUIET_SHARE * 100)
                    + "% of a core for 2 s, at most this long (needs --node-pid; default: --warmup, no wait)"),
    DURATION("duration", "duration", "20s", "the measured window"),
    DRAIN("drain", "duration", "5s", "longest wait after the last send for deliveries still in flight"),
    TICK("tick", "duration", "1ms", "the sending period: each tick sends every message whose intended time has come"),
    CONNECTIONS("connections", "N", "1000", "memory mode: idle connections to open"),
    THREADS("threads", "N", "1", "event-loop threads of the load generator"),
    TRANSPORT(
            "transport",
            "epoll|nio",
            "epoll",
            "the load generator's sockets: epoll (Linux; nio where its native library cannot load) or nio"),
    CONNECT_CONCURRENCY("connect-concurrency", "N", "100", "handshakes in flight at once while connecting"),
    HANDSHAKE_TIMEOUT("handshake-timeout", "duration", "10s", "TCP connect plus upgrade, per connection"),
    SOURCE_ADDRESSES(
            "source-addresses",
            "ip,...",
            null,
            "local addresses to bind, round-robin per connection (127.0.0.x), past 64k ports per address"),
    NODE_PID(
            "node-pid",
            "pid,...",
            null,
            "process id of each node on this machine (--nodes order): CPU from /proc; memory mode: GC and RSS"),
    JSON("json", "file", null, "write the full report as JSON to this file"),
    ALLOW_REFUSALS(
            "allow-refusals",
            null,
            null,
            "refused connections and refused messages (ERROR frames) do not fail the run; loss and duplicates always do");

    final String name;
    /** What the value looks like; null for a switch that takes none. */
    final String value;

    final String defaultValue;
    final String doc;

    Flag(String name, String value, String defaultValue, String doc) {
        this.name = name;
        this.value = value;
        this.defaultValue = defaultValue;
        this.doc = doc;
    }

    boolean isSwitch() {
        return value == null;
    }

    static Flag named(String name) {
        for (Flag f : values()) {
            if (f.name.equals(name)) {
                return f;
            }
        }
        return null;
    }

    /** The {@code --help} text: one line per flag. */
    static String usage() {
        StringBuilder b = new StringBuilder("""
                usage: java -cp benchmarks/target/benchmarks.jar dev.inbox.benchmarks.loadgen.LoadGenerator [flags]
                Drives a gateway over real WebSockets and reports connections, deliveries (lost and duplicated must be
                zero), throughput and end-to-end latency. --flag value and --flag=value both work; durations take ms,
                s or m. Exit code: 0 passed, 1 failed (see "failures" in the report), 2 bad flags.

                """);
        for (Flag f : values()) {
            String left = "--" + f.name + (f.isSwitch() ? "" : " " + f.value);
            b.append(String.format(
                    "  %-42s %s%s%n", left, f.doc, f.defaultValue == null ? "" : " (default " + f.defaultValue + ")"));
        }
        return b.toString();
    }
}
