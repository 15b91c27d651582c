package dev.inbox.gateway.config;

/**
 * Every setting the gateway reads: its flag, its environment variable, its default and what it does. The
 * configuration table in docs/operations.md and {@code --help} are both this list.
 */
public enum Setting {
    PORT("port", "8080", "Public WebSocket port (0 picks a free port)."),
    ADMIN_PORT("admin-port", "8081", "Admin HTTP port: membership API, publish API, health (0 picks a free port)."),
    BIND("bind", "0.0.0.0", "Address the public port listens on."),
    ADMIN_BIND(
            "admin-bind",
            "127.0.0.1",
            "Address the admin port listens on: loopback unless set. Set it (0.0.0.0 in a container) where probes and Prometheus must reach it; never expose it to clients."),
    PROXY_PROTOCOL(
            "proxy-protocol",
            "false",
            "Expect a PROXY protocol v1/v2 header on every public connection (behind HAProxy, an AWS NLB...)."),
    TRUSTED_PROXIES(
            "trusted-proxies", "", "Comma-separated addresses or CIDR blocks whose X-Forwarded-For is believed."),
    LOG_FORMAT("log-format", "text", "Log format: text, or json (one JSON object a line, for log pipelines)."),
    API_KEY("api-key", "", "Bearer key for the admin API. Required unless --dev (then defaults to 'dev-api-key')."),
    JWT_SECRET(
            "jwt-secret",
            "",
            "HS256 secret (at least 32 bytes). One of --jwt-secret or --jwt-public-key is required unless --dev."),
    JWT_PUBLIC_KEY("jwt-public-key", "", "PEM file with an RSA (RS256) or EC P-256 (ES256) public key."),
    JWT_ISSUER("jwt-issuer", "", "When set, a token's 'iss' must equal it."),
    JWT_AUDIENCE("jwt-audience", "", "When set, a token's 'aud' must contain it."),
    TOKEN_COOKIE("token-cookie", "inbox_token", "Cookie that may carry the token (empty disables cookie auth)."),
    ALLOWED_ORIGINS("allowed-origins", "", "Comma-separated Origin allow-list; empty allows every origin."),
    DEV(
            "dev",
            "false",
            "Development mode: accept ?user_id=N&name=... without a token; unknown conversations are open."),
    DEMO_PAGE(
            "demo-page",
            "false",
            "Serve the demo inbox page at / and the browser client at /client/ on the public port. On under --dev unless set."),
    MAX_FRAME_BYTES(
            "max-frame-bytes",
            "65536",
            "Largest frame, and largest reassembled message, in bytes (over it: close 1009)."),
    MAX_MESSAGE_CHARS(
            "max-message-chars", "4096", "Most characters (code points) in 'message' (over it: message_too_long)."),
    PING_INTERVAL("ping-interval", "30s", "How often a quiet connection is pinged."),
    IDLE_TIMEOUT("idle-timeout", "75s", "Close (4000) a connection silent this long: no frame, no pong."),
    HANDSHAKE_TIMEOUT(
            "handshake-timeout", "10s", "Close a connection that has not completed its upgrade request in this time."),
    MAX_OUTBOUND_BYTES(
            "max-outbound-bytes",
            "1048576",
            "Bytes queued for one connection before it is no longer read and counts as slow (a hard cap of 4x closes it at once)."),
    SLOW_CONSUMER_GRACE(
            "slow-consumer-grace",
            "5s",
            "How long a connection may stay over max-outbound-bytes before it is closed (1013)."),
    RATE_LIMIT("rate-limit", "20", "Messages a second one connection may send (token bucket); over it: rate_limited."),
    RATE_BURST(
            "rate-burst",
            "40",
            "Messages one connection may send at once; a connection refused this many in a row is closed (1008)."),
    MAX_CONNECTIONS_PER_USER(
            "max-connections-per-user",
            "10",
            "Concurrent connections of one user on this node; the next upgrade gets 429."),
    MAX_CONNECTIONS_PER_IP(
            "max-connections-per-ip",
            "1000",
            "Concurrent connections from one client address; the next upgrade gets 429. Also bounds the connections one TCP peer holds before their upgrade (the next: 429 at accept), except a trusted proxy's or with --proxy-protocol."),
    MAX_HANDSHAKES_PER_IP(
            "max-handshakes-per-ip", "50", "Upgrade requests a second from one client address; over it: 429."),
    MAX_CONNECTIONS(
            "max-connections", "100000", "Connections this node takes; over it: 503, and /readyz fails while full."),
    ADMIN_MAX_BODY_BYTES("admin-max-body-bytes", "1048576", "Largest admin API request body (over it: 413)."),
    ADMIN_READ_TIMEOUT(
            "admin-read-timeout",
            "10s",
            "Close an admin connection that sends nothing for this long (a stalled request head or body, an idle kept-alive connection)."),
    ADMIN_MAX_CONNECTIONS(
            "admin-max-connections",
            "64",
            "Admin connections open at once; past it, API requests get 503 and are closed (health, readiness and metrics still answer)."),
    MAX_MEMBERS("max-members", "10000", "Most members a conversation may have, and most user_ids in one PUT."),
    PUBLISH_HOOK(
            "publish-hook",
            "",
            "URL the gateway POSTs every client message to before admitting it (2xx admits, 4xx rejects, else backend_unavailable). Empty: no publish hook."),
    CONNECT_HOOK(
            "connect-hook",
            "",
            "URL asked to sign in a handshake that brings no token (nor, in dev mode, a user_id): its Cookie and Authorization headers are forwarded. Empty: no connect hook."),
    HOOK_SECRET(
            "hook-secret",
            "",
            "Key (at least 32 bytes) the gateway signs every hook request with (HMAC-SHA256, header X-Inbox-Signature). Required when a hook is set."),
    HOOK_TIMEOUT(
            "hook-timeout",
            "2s",
            "Longest wait for a hook's answer (connect and response); past it: backend_unavailable, or 503 for the connect hook."),
    HOOK_MAX_IN_FLIGHT(
            "hook-max-in-flight",
            "1000",
            "Calls one hook may have unanswered at once on this node; past it the call is refused at once (backend_unavailable, or 503)."),
    HOOK_MAX_CONNECTIONS(
            "hook-max-connections",
            "256",
            "Connections one hook may have open to the backend on this node (kept alive, reused); calls past them wait for a free one, within --hook-timeout."),
    WORKER_THREADS("worker-threads", "0", "Event-loop threads for the public port (0: one per core)."),
    TRANSPORT(
            "transport",
            "auto",
            "I/O transport: auto (io_uring where the kernel allows it, else epoll on Linux, else NIO), io_uring, epoll or nio. A forced one that cannot run here stops the node at start."),
    DRAIN_DELAY(
            "drain-delay",
            "5s",
            "On SIGTERM: /readyz fails at once; new upgrades are refused (503) after this delay. 0 under --dev unless set."),
    DRAIN_WINDOW("drain-window", "10s", "After the delay, open connections are closed (1001) spread over this window."),
    DRAIN_DEADLINE("drain-deadline", "25s", "The process exits 0 by this time after SIGTERM, whatever is left."),
    REDIS(
            "redis",
            "INBOX_REDIS_URL",
            "",
            "Redis URI (redis://, rediss://, with a password if needed): makes this node one of many. Empty: single node, in memory."),
    REDIS_TIMEOUT(
            "redis-timeout",
            "5s",
            "How long a Redis command may take before it fails; the admission script instead waits for its reply while the connection lives."),
    REDIS_PING_INTERVAL(
            "redis-ping-interval",
            "10s",
            "How often the relay connection is pinged; two failed pings replace the connection."),
    REDIS_QUEUE(
            "redis-queue",
            "10000",
            "Most messages waiting on Redis for their admission, per node; past it, overloaded at once."),
    REDIS_MAX_LATENCY(
            "redis-max-latency",
            "500ms",
            "When every answer Redis gave this node over this long was slower than this (a standing queue), or none came while messages wait, new messages are shed (overloaded) unless none is waiting; 0 turns it off."),
    REDIS_GAP_WINDOW(
            "redis-gap-window",
            "5s",
            "After the relay subscription was interrupted and is whole again, connections open meanwhile are closed (4002) spread over this window."),
    DEDUP_WINDOW(
            "dedup-window",
            "2m",
            "How long a resend with the same client_msg_id (same sender, same conversation) gets the original message_id and is not delivered again. 0: off."),
    DEDUP_MAX_ENTRIES(
            "dedup-max-entries",
            "200000",
            "Single node only: most client_msg_ids remembered at once; when full, the oldest is forgotten early (counted). With --redis the keys live in Redis."),
    OUTBOX(
            "outbox",
            "true",
            "With --redis: append every admitted message to the outbox streams a backend reads (docs/clustering.md). false: no stream writes, for deployments where no backend reads them."),
    OUTBOX_PARTITIONS(
            "outbox-partitions",
            "16",
            "Outbox streams (1 to 1024); a conversation's is its id mod this. Every node on one Redis must agree: a node with another number refuses to start."),
    OUTBOX_MAX_LENGTH(
            "outbox-max-length", "100000", "Most entries one outbox stream holds; at it, --outbox-when-full decides."),
    OUTBOX_MAX_AGE(
            "outbox-max-age",
            "24h",
            "Entries older than this are trimmed, acknowledged or not (those some consumer group had not acknowledged are counted as expired)."),
    OUTBOX_WHEN_FULL(
            "outbox-when-full",
            "refuse",
            "A full outbox stream: refuse (the sender gets outbox_full, nothing is delivered) or trim (its oldest entry is dropped and counted)."),
    OUTBOX_JANITOR_INTERVAL(
            "outbox-janitor-interval",
            "10s",
            "How often a node trims what every consumer group acknowledged and what is too old, and refreshes the outbox meters."),
    TYPING_INTERVAL(
            "typing-interval",
            "2s",
            "At most one TYPING per sender and conversation is forwarded per interval on each node; extras are dropped silently (counted)."),
    READ_INTERVAL(
            "read-interval",
            "1s",
            "READ events per reader and conversation: the first move is sent at once, further moves within the interval become one event with the newest position at its end (0 to 10s; 0: every move sent)."),
    EVENT_RATE_LIMIT(
            "event-rate-limit",
            "20",
            "TYPING, READ, READS and UNREAD frames a second one connection may send (token bucket, apart from messages); over it TYPING is dropped silently, the others get rate_limited."),
    EVENT_RATE_BURST(
            "event-rate-burst", "40", "TYPING, READ, READS and UNREAD frames one connection may send at once."),
    UNREAD_MAX(
            "unread-max",
            "99",
            "Highest unread count reported for one conversation; past it, or past the history window, the count is a lower bound (unread_capped)."),
    UNREAD_MAX_CONVERSATIONS(
            "unread-max-conversations",
            "100",
            "Most conversations one UNREAD answer (and GET /api/users/{id}/unread) looks at."),
    HISTORY(
            "history",
            "true",
            "Keep each conversation's recent events for HISTORY pages and the admin API (in Redis with --redis, else in memory). false: none kept."),
    HISTORY_MAX_EVENTS("history-max-events", "1000", "Most events one conversation's history keeps (1 to 100000)."),
    HISTORY_MAX_AGE(
            "history-max-age",
            "24h",
            "Events older than this leave the history; a conversation idle this long has none."),
    HISTORY_PAGE_MAX(
            "history-page-max",
            "100",
            "Most events one HISTORY page or admin history answer holds; a larger limit is capped."),
    HISTORY_LOCAL_MAX_BYTES(
            "history-local-max-bytes",
            "67108864",
            "Without --redis: heap every conversation's history may take together; past it, the histories written to longest ago are dropped."),
    FEED_MAX_LENGTH(
            "feed-max-length",
            "1000",
            "Most entries one user's feed (the events delivered to them, for resuming) holds; a client away for more events than this resumes with recovered:false. 0: no feed, and every resume answers recovered:false (not_supported)."),
    FEED_MAX_AGE(
            "feed-max-age",
            "1h",
            "A user's feed and its epoch expire this long after the user's last connection closed (renewed every quarter of it while one is open); a client away longer than that resumes with recovered:false (epoch_changed)."),
    RESUME_MAX_EVENTS(
            "resume-max-events",
            "1000",
            "Most events one resume replays; past it the resume answers recovered:false (too_many) and replays nothing."),
    RESUME_CONCURRENCY(
            "resume-concurrency",
            "64",
            "Resumes one node reads Redis for at once; more wait for a slot (--resume-queue, --resume-max-wait)."),
    RESUME_QUEUE(
            "resume-queue",
            "10000",
            "Resumes that may wait for a slot; one more gets ERROR resume_busy and a close (1013), and should reconnect after a random delay."),
    RESUME_MAX_WAIT(
            "resume-max-wait",
            "5s",
            "Longest a resume waits for a slot (checked as slots free up); past it, resume_busy and a close (1013)."),
    RESUME_MAX_CONVERSATIONS(
            "resume-max-conversations",
            "1000",
            "Most conversations one RESUME request may list (over it: bad_resume)."),
    PRESENCE_DEBOUNCE(
            "presence-debounce",
            "5s",
            "A user whose last connection closed stays online this long; back within it (on any node), nobody is told offline."),
    PRESENCE_MAX_SUBSCRIPTIONS(
            "presence-max-subscriptions",
            "200",
            "Most users one connection may watch with PRESENCE_SUBSCRIBE (past it: presence_limit, the whole frame refused)."),
    PRESENCE_RATE(
            "presence-rate",
            "5",
            "PRESENCE_SUBSCRIBE/UNSUBSCRIBE frames a second one connection may send, twice that at once (over it: rate_limited)."),
    PRESENCE_TIMEOUT(
            "presence-timeout",
            "30s",
            "With --redis: a node that dies without closing shows its users offline on the other nodes within this (heartbeats every quarter of it, expiring after half).");

    private final String flag;
    private final String env;
    private final String defaultValue;
    private final String description;

    Setting(String flag, String defaultValue, String description) {
        this(flag, "INBOX_" + flag.toUpperCase(java.util.Locale.ROOT).replace('-', '_'), defaultValue, description);
    }

    Setting(String flag, String env, String defaultValue, String description) {
        this.flag = flag;
        this.env = env;
        this.defaultValue = defaultValue;
        this.description = description;
    }

    /** The command-line flag, without the leading {@code --}. */
    public String flag() {
        return flag;
    }

    /** The environment variable: {@code INBOX_} and the flag in upper snake case, unless named otherwise. */
    public String env() {
        return env;
    }

    /** The value used when neither the flag nor the environment sets one; empty means unset. */
    public String defaultValue() {
        return defaultValue;
    }

    public String description() {
        return description;
    }
}
