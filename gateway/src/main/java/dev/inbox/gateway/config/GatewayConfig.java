package dev.inbox.gateway.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The whole configuration of one node, immutable and validated by {@link ConfigLoader}.
 *
 * @param listen  ports and threads
 * @param auth    how users prove who they are
 * @param inbox   per-connection limits and timers
 * @param limits  rate and connection limits
 * @param admin   the admin API
 * @param drain   the shutdown timeline
 * @param redis   the relay, or {@code null} for a single node
 * @param hooks   the backend's publish and connect hooks
 * @param dedup   how resends of one {@code client_msg_id} are recognised
 * @param history each conversation's bounded history
 * @param dev     development mode (see {@link Setting#DEV})
 * @param logFormat {@code text} or {@code json}
 * @param resume  resuming after a reconnect
 * @param events  typing and read receipts
 */
public record GatewayConfig(
        Listen listen,
        Auth auth,
        Inbox inbox,
        Limits limits,
        Admin admin,
        Drain drain,
        Redis redis,
        Hooks hooks,
        Dedup dedup,
        History history,
        boolean dev,
        String logFormat,
        Resume resume,
        Presence presence,
        Events events) {

    /**
     * Presence (docs/protocol.md, "Presence").
     *
     * @param debounce         how long a user stays online after their last connection closed
     * @param maxSubscriptions most users one connection may watch
     * @param ratePerSecond    presence frames a second per connection (twice that at once)
     * @param timeout          with Redis, the bound on showing a dead node's users offline
     */
    public record Presence(Duration debounce, int maxSubscriptions, int ratePerSecond, Duration timeout) {}

    /**
     * Typing and read receipts (docs/protocol.md, "Typing and read receipts").
     *
     * @param typingInterval         at most one TYPING per sender and conversation forwarded per interval, per node
     * @param readInterval           READ events per reader and conversation coalesced within it; zero: none are
     * @param perSecond              TYPING, READ, READS and UNREAD frames per connection, sustained
     * @param burst                  the same, at once
     * @param unreadMax              highest unread count reported; past it the count is capped
     * @param unreadMaxConversations most conversations one UNREAD answer looks at
     */
    public record Events(
            Duration typingInterval,
            Duration readInterval,
            int perSecond,
            int burst,
            int unreadMax,
            int unreadMaxConversations) {}

    /**
     * Resuming after a reconnect (docs/protocol.md, "Resume").
     *
     * @param feedMaxLength    most entries one user's feed holds
     * @param feedMaxAge       a feed and its epoch expire this long after the user's last connection closed
     * @param maxEvents        most events one resume replays
     * @param concurrency      resumes running at once on this node
     * @param maxConversations most conversations one RESUME request lists
     */
    public record Resume(
            int feedMaxLength,
            Duration feedMaxAge,
            int maxEvents,
            int concurrency,
            int maxWaiting,
            Duration maxWait,
            int maxConversations) {}

    /**
     * Limits that protect the node and its users from one client.
     *
     * @param messagesPerSecond    per connection, sustained
     * @param messageBurst         per connection, at once; also the refusals in a row before a close (1008)
     * @param perUser              concurrent connections of one user on this node
     * @param perAddress           concurrent connections from one client address; also the sockets one TCP peer holds
     *                             before their upgrade
     * @param handshakesPerAddress upgrade requests a second from one client address
     * @param perNode              connections this node takes
     */
    public record Limits(
            int messagesPerSecond,
            int messageBurst,
            int perUser,
            int perAddress,
            int handshakesPerAddress,
            int perNode) {}

    /**
     * Idempotent sends: a message resent with the same {@code client_msg_id} by the same sender to the same
     * conversation within the window gets the original {@code message_id} and is not delivered again.
     *
     * @param window     how long a {@code client_msg_id} is remembered after its message was admitted; zero: off
     * @param maxEntries single node: most ids remembered at once (the oldest is forgotten first); with Redis the keys
     *                   live in Redis, bounded by the window and the message rate
     */
    public record Dedup(Duration window, int maxEntries) {
        /** Nothing remembered: every message is new. */
        public static final Dedup OFF = new Dedup(Duration.ZERO, 1);

        public boolean enabled() {
            return !window.isZero();
        }
    }

    /**
     * The SIGTERM timeline.
     *
     * @param delay    readiness fails at once; new upgrades are refused after this
     * @param window   existing connections are closed spread over this, after the delay
     * @param deadline the process exits by this time after the signal
     */
    public record Drain(Duration delay, Duration window, Duration deadline) {}

    /**
     * The backend's hooks. Either URL may be {@code null}; when one is set, so is the secret.
     *
     * @param publish     POSTed every client message before it is admitted, or {@code null}
     * @param connect     asked to sign in a handshake without a token, or {@code null}
     * @param secret      HMAC-SHA256 key that signs every hook request, or {@code null} when no hook is set
     * @param timeout     longest wait for one answer
     * @param maxInFlight calls one hook may have unanswered at once
     * @param maxConnections connections one hook may have open to the backend at once; calls past it wait for one
     */
    public record Hooks(
            java.net.URI publish,
            java.net.URI connect,
            byte[] secret,
            Duration timeout,
            int maxInFlight,
            int maxConnections) {
        public Hooks {
            secret = secret == null ? null : secret.clone();
        }

        @Override
        public byte[] secret() {
            return secret == null ? null : secret.clone();
        }

        @Override
        public String toString() {
            return "Hooks[publish=" + publish + ", connect=" + connect + ", secret="
                    + (secret == null ? "unset" : "set") + ", timeout=" + timeout + ", maxInFlight=" + maxInFlight
                    + ", maxConnections=" + maxConnections + "]";
        }
    }

    /**
     * Each conversation's bounded history of events, for paging and replay (docs/operations.md, "History").
     *
     * @param enabled        whether events are kept at all
     * @param maxEvents      most events one conversation keeps
     * @param maxAge         events older than this are trimmed; an idle conversation's history vanishes after it
     * @param pageMax        most events one page holds; a larger request is capped
     * @param localMaxBytes  single node: the budget of every conversation's history together
     */
    public record History(boolean enabled, int maxEvents, Duration maxAge, int pageMax, long localMaxBytes) {}

    /** Whether this node is one of many, relaying through Redis. */
    public boolean clustered() {
        return redis != null;
    }

    /**
     * @param target       where Redis is, parsed from {@code --redis}
     * @param timeout      longest wait for one command
     * @param pingInterval how often the relay connection is checked
     * @param queueSize    most admissions waiting on Redis per node (Lettuce's own queue is a little longer)
     * @param maxLatency   while Redis answers this node's latest admission slower than this, new ones are shed
     *                     unless none is waiting; zero: no such bound
     * @param gapWindow    after an interruption of the relay subscription, the connections that may have missed
     *                     messages are closed (4002) spread over this, so they do not all reconnect at once
     * @param outbox       the streams every admitted message is appended to for the backend
     */
    public record Redis(
            RedisTarget target,
            Duration timeout,
            Duration pingInterval,
            int queueSize,
            Duration maxLatency,
            Duration gapWindow,
            Outbox outbox) {}

    /**
     * The outbox: one Redis stream per partition that the backend reads with a consumer group (docs/clustering.md,
     * "The outbox").
     *
     * @param enabled         whether messages are appended at all; the partitions shape the key layout either way
     * @param partitions      streams; a conversation's is its id mod this
     * @param maxLength       most entries one stream holds
     * @param maxAge          entries older than this are trimmed
     * @param trimWhenFull    at {@code maxLength}: drop the oldest entry (true) or refuse the message (false)
     * @param janitorInterval how often the node trims and refreshes the outbox meters
     */
    public record Outbox(
            boolean enabled,
            int partitions,
            int maxLength,
            Duration maxAge,
            boolean trimWhenFull,
            Duration janitorInterval) {}

    /**
     * @param bind          address the public port listens on
     * @param adminBind     address the admin port listens on (loopback unless configured)
     * @param port          public WebSocket port; 0 picks one
     * @param adminPort     admin port; 0 picks one
     * @param workerThreads  event loops for the public port; 0 means one per core
     * @param proxyProtocol  whether every public connection starts with a PROXY protocol header
     * @param trustedProxies addresses and CIDR blocks whose X-Forwarded-For is believed
     * @param transport      {@code auto}, {@code io_uring}, {@code epoll} or {@code nio}
     * @param demoPage       whether the public port also serves the demo page and the browser client (DemoFiles)
     */
    public record Listen(
            String bind,
            String adminBind,
            int port,
            int adminPort,
            int workerThreads,
            boolean proxyProtocol,
            List<IpBlock> trustedProxies,
            String transport,
            boolean demoPage) {
        public Listen {
            trustedProxies = List.copyOf(trustedProxies);
        }
    }

    /**
     * @param jwtSecret      HS256 secret bytes, or {@code null}
     * @param jwtPublicKey   PEM public key file for RS256/ES256, or {@code null}
     * @param issuer         required {@code iss}, or {@code null}
     * @param audience       required {@code aud} member, or {@code null}
     * @param tokenCookie    cookie that may carry the token, or {@code null}
     * @param allowedOrigins Origin allow-list; empty allows all
     */
    public record Auth(
            byte[] jwtSecret,
            Path jwtPublicKey,
            String issuer,
            String audience,
            String tokenCookie,
            List<String> allowedOrigins) {
        public Auth {
            jwtSecret = jwtSecret == null ? null : jwtSecret.clone();
            allowedOrigins = List.copyOf(allowedOrigins);
        }

        @Override
        public byte[] jwtSecret() {
            return jwtSecret == null ? null : jwtSecret.clone();
        }

        /** Whether any token key is configured. */
        public boolean hasKey() {
            return jwtSecret != null || jwtPublicKey != null;
        }

        @Override
        public String toString() {
            // Never print the secret.
            return "Auth[jwtSecret=" + (jwtSecret == null ? "unset" : "set") + ", jwtPublicKey=" + jwtPublicKey
                    + ", issuer=" + issuer + ", audience=" + audience + ", tokenCookie=" + tokenCookie
                    + ", allowedOrigins=" + allowedOrigins + "]";
        }
    }

    /**
     * @param maxFrameBytes     largest frame and reassembled message
     * @param maxMessageChars   most code points in {@code message}
     * @param pingInterval      ping period for a quiet connection
     * @param idleTimeout       silence after which the connection is closed
     * @param handshakeTimeout  time allowed to complete the upgrade request
     * @param maxOutboundBytes  queued bytes past which a connection is slow (Netty's high water mark)
     * @param slowConsumerGrace how long a connection may stay slow before it is closed
     */
    public record Inbox(
            int maxFrameBytes,
            int maxMessageChars,
            Duration pingInterval,
            Duration idleTimeout,
            Duration handshakeTimeout,
            int maxOutboundBytes,
            Duration slowConsumerGrace) {}

    /**
     * @param apiKey       the bearer key every admin API call must present
     * @param maxBodyBytes largest request body
     * @param maxMembers   most members per conversation
     * @param readTimeout  silence after which an admin connection is closed
     * @param maxConnections admin connections open at once; past it only health, readiness and metrics answer
     */
    public record Admin(String apiKey, int maxBodyBytes, int maxMembers, Duration readTimeout, int maxConnections) {
        @Override
        public String toString() {
            return "Admin[apiKey=set, maxBodyBytes=" + maxBodyBytes + ", maxMembers=" + maxMembers + ", readTimeout="
                    + readTimeout + ", maxConnections=" + maxConnections + "]";
        }
    }
}
