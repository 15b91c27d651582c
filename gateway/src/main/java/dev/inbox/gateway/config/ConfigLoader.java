package dev.inbox.gateway.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads the configuration from command-line flags and environment variables, in that order of precedence, then
 * {@link Setting}'s defaults; validates it once. The only class that reads either.
 *
 * <p>Flags are {@code --name value} or {@code --name=value}; {@code --dev} alone means {@code --dev=true}.
 */
public final class ConfigLoader {
    /** Outside dev mode an admin key shorter than this is a mistake, not a key. */
    static final int MIN_API_KEY_CHARS = 16;
    /** As for the HS256 token key: an HMAC key shorter than its hash is weaker than the hash. */
    static final int MIN_HOOK_SECRET_BYTES = 32;
    /** HS256 needs a key at least as long as its output (RFC 7518 §3.2). */
    static final int MIN_HS256_SECRET_BYTES = 32;

    static final int MIN_FRAME_BYTES = 1024;
    static final int MAX_FRAME_BYTES = 16 * 1024 * 1024;
    static final String DEV_API_KEY = "dev-api-key";
    /** A READ event lags its position by up to this: past it a badge would visibly stick (docs/protocol.md). */
    static final Duration MOST_READ_INTERVAL = Duration.ofSeconds(10);

    private ConfigLoader() {}

    /** Reads the process's own flags and environment. */
    public static GatewayConfig load(String[] args) throws ConfigException {
        return load(args, System.getenv());
    }

    /** Reads {@code args} and {@code env}; tests pass their own. */
    public static GatewayConfig load(String[] args, Map<String, String> env) throws ConfigException {
        Map<Setting, String> raw = new EnumMap<>(Setting.class);
        Set<Setting> explicit = EnumSet.noneOf(Setting.class);
        for (Setting s : Setting.values()) {
            String fromEnv = env.get(s.env());
            raw.put(s, fromEnv != null ? fromEnv.trim() : s.defaultValue());
            if (fromEnv != null) {
                explicit.add(s);
            }
        }
        parseFlags(args, raw, explicit);
        return build(raw, explicit);
    }

    private static void parseFlags(String[] args, Map<Setting, String> raw, Set<Setting> explicit)
            throws ConfigException {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new ConfigException("unexpected argument '" + arg + "' (expected: --flag value; see --help)");
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Setting setting = byFlag(name);
            if (value == null) {
                if (setting == Setting.DEV && (i + 1 == args.length || args[i + 1].startsWith("--"))) {
                    value = "true";
                } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                    value = args[++i];
                } else {
                    throw new ConfigException("--" + name + ": missing value");
                }
            }
            raw.put(setting, value.trim());
            explicit.add(setting);
        }
    }

    private static Setting byFlag(String name) throws ConfigException {
        for (Setting s : Setting.values()) {
            if (s.flag().equals(name)) {
                return s;
            }
        }
        throw new ConfigException("unknown flag --" + name + " (see --help)");
    }

    private static GatewayConfig build(Map<Setting, String> raw, Set<Setting> explicit) throws ConfigException {
        boolean dev = bool(raw, Setting.DEV);

        List<IpBlock> trustedProxies = new ArrayList<>();
        for (String p : raw.get(Setting.TRUSTED_PROXIES).split(",")) {
            if (!p.isBlank()) {
                try {
                    trustedProxies.add(IpBlock.parse(p));
                } catch (ConfigException e) {
                    throw new ConfigException("trusted-proxies: " + e.getMessage());
                }
            }
        }
        String logFormat = raw.get(Setting.LOG_FORMAT).toLowerCase(Locale.ROOT);
        if (!logFormat.equals("text") && !logFormat.equals("json")) {
            throw new ConfigException("log-format: " + raw.get(Setting.LOG_FORMAT) + " (expected: text or json)");
        }
        GatewayConfig.Listen listen = new GatewayConfig.Listen(
                nonEmpty(raw, Setting.BIND),
                nonEmpty(raw, Setting.ADMIN_BIND),
                port(raw, Setting.PORT),
                port(raw, Setting.ADMIN_PORT),
                intIn(raw, Setting.WORKER_THREADS, 0, 1024),
                bool(raw, Setting.PROXY_PROTOCOL),
                trustedProxies,
                oneOf(raw, Setting.TRANSPORT, "auto", "io_uring", "epoll", "nio"),
                // The demo page is a newcomer's first sight of the gateway: on in dev mode, opt-in elsewhere.
                explicit.contains(Setting.DEMO_PAGE) ? bool(raw, Setting.DEMO_PAGE) : bool(raw, Setting.DEV));
        if (listen.port() != 0 && listen.port() == listen.adminPort()) {
            throw new ConfigException("port and admin-port are both " + listen.port() + " (expected: different ports)");
        }

        String secret = raw.get(Setting.JWT_SECRET);
        String keyFile = raw.get(Setting.JWT_PUBLIC_KEY);
        if (!secret.isEmpty() && !keyFile.isEmpty()) {
            throw new ConfigException("jwt-secret and jwt-public-key are both set (expected: one of them)");
        }
        byte[] secretBytes = null;
        if (!secret.isEmpty()) {
            secretBytes = secret.getBytes(StandardCharsets.UTF_8);
            if (secretBytes.length < MIN_HS256_SECRET_BYTES) {
                throw new ConfigException("jwt-secret: " + secretBytes.length + " bytes (expected: at least "
                        + MIN_HS256_SECRET_BYTES + " for HS256)");
            }
        }
        Path publicKey = null;
        if (!keyFile.isEmpty()) {
            publicKey = Path.of(keyFile);
            if (!Files.isRegularFile(publicKey) || !Files.isReadable(publicKey)) {
                throw new ConfigException("jwt-public-key: " + keyFile + " (expected: a readable PEM file)");
            }
        }
        GatewayConfig.Hooks hooks = hooks(raw);
        // A connect hook signs users in with the backend's own sessions: such a node may take no tokens at all.
        if (secretBytes == null && publicKey == null && hooks.connect() == null && !dev) {
            throw new ConfigException("no token key: set --jwt-secret or --jwt-public-key, or --connect-hook to sign"
                    + " users in through the backend (or --dev to try the gateway)");
        }
        GatewayConfig.Auth auth = new GatewayConfig.Auth(
                secretBytes,
                publicKey,
                emptyToNull(raw.get(Setting.JWT_ISSUER)),
                emptyToNull(raw.get(Setting.JWT_AUDIENCE)),
                emptyToNull(raw.get(Setting.TOKEN_COOKIE)),
                origins(raw.get(Setting.ALLOWED_ORIGINS)));

        int maxFrameBytes = intIn(raw, Setting.MAX_FRAME_BYTES, MIN_FRAME_BYTES, MAX_FRAME_BYTES);
        int maxMessageChars = intIn(raw, Setting.MAX_MESSAGE_CHARS, 1, maxFrameBytes);
        Duration ping = duration(raw, Setting.PING_INTERVAL);
        Duration idle = duration(raw, Setting.IDLE_TIMEOUT);
        if (idle.compareTo(ping) <= 0) {
            throw new ConfigException("idle-timeout: " + raw.get(Setting.IDLE_TIMEOUT)
                    + " (expected: longer than ping-interval " + raw.get(Setting.PING_INTERVAL) + ")");
        }
        int maxOutbound = intIn(raw, Setting.MAX_OUTBOUND_BYTES, 2 * maxFrameBytes, 256 * 1024 * 1024);
        GatewayConfig.Inbox inbox = new GatewayConfig.Inbox(
                maxFrameBytes,
                maxMessageChars,
                ping,
                idle,
                duration(raw, Setting.HANDSHAKE_TIMEOUT),
                maxOutbound,
                duration(raw, Setting.SLOW_CONSUMER_GRACE));

        String apiKey = raw.get(Setting.API_KEY);
        if (apiKey.isEmpty()) {
            if (!dev) {
                throw new ConfigException(
                        "no api-key: set --api-key (at least " + MIN_API_KEY_CHARS + " characters) for the admin API");
            }
            apiKey = DEV_API_KEY;
        } else if (apiKey.length() < MIN_API_KEY_CHARS && !dev) {
            throw new ConfigException(
                    "api-key: " + apiKey.length() + " characters (expected: at least " + MIN_API_KEY_CHARS + ")");
        }
        GatewayConfig.Admin admin = new GatewayConfig.Admin(
                apiKey,
                intIn(raw, Setting.ADMIN_MAX_BODY_BYTES, 64, 64 * 1024 * 1024),
                intIn(raw, Setting.MAX_MEMBERS, 1, 1_000_000),
                duration(raw, Setting.ADMIN_READ_TIMEOUT),
                intIn(raw, Setting.ADMIN_MAX_CONNECTIONS, 1, 100_000));

        GatewayConfig.Outbox outbox = outbox(raw);
        GatewayConfig.Redis redis = null;
        String redisUri = raw.get(Setting.REDIS);
        if (!redisUri.isEmpty()) {
            Duration timeout = duration(raw, Setting.REDIS_TIMEOUT);
            redis = new GatewayConfig.Redis(
                    RedisTarget.parse(redisUri, timeout),
                    timeout,
                    duration(raw, Setting.REDIS_PING_INTERVAL),
                    intIn(raw, Setting.REDIS_QUEUE, 16, 10_000_000),
                    durationOrZero(raw, Setting.REDIS_MAX_LATENCY),
                    duration(raw, Setting.REDIS_GAP_WINDOW),
                    outbox);
        }
        // The delay is for a load balancer's health check to notice /readyz; a dev node has none in front of it, and
        // a Ctrl-C that waits 5 s for nobody reads as a hang (issue 12). Set explicitly, it holds in dev mode too.
        boolean noDrainDelay = dev && !explicit.contains(Setting.DRAIN_DELAY);
        GatewayConfig.Drain drain = new GatewayConfig.Drain(
                noDrainDelay ? Duration.ZERO : duration(raw, Setting.DRAIN_DELAY),
                duration(raw, Setting.DRAIN_WINDOW),
                duration(raw, Setting.DRAIN_DEADLINE));
        if (drain.delay().plus(drain.window()).compareTo(drain.deadline()) >= 0) {
            throw new ConfigException("drain-deadline: " + raw.get(Setting.DRAIN_DEADLINE)
                    + " (expected: longer than drain-delay + drain-window, "
                    + (noDrainDelay ? "0 in dev mode" : raw.get(Setting.DRAIN_DELAY)) + " + "
                    + raw.get(Setting.DRAIN_WINDOW) + ")");
        }
        GatewayConfig.Limits limits = new GatewayConfig.Limits(
                intIn(raw, Setting.RATE_LIMIT, 1, 1_000_000),
                intIn(raw, Setting.RATE_BURST, 1, 1_000_000),
                intIn(raw, Setting.MAX_CONNECTIONS_PER_USER, 1, 1_000_000),
                intIn(raw, Setting.MAX_CONNECTIONS_PER_IP, 1, 10_000_000),
                intIn(raw, Setting.MAX_HANDSHAKES_PER_IP, 1, 1_000_000),
                intIn(raw, Setting.MAX_CONNECTIONS, 1, 100_000_000));
        GatewayConfig.Dedup dedup = new GatewayConfig.Dedup(
                durationOrZero(raw, Setting.DEDUP_WINDOW), intIn(raw, Setting.DEDUP_MAX_ENTRIES, 1, 100_000_000));
        GatewayConfig.History history = new GatewayConfig.History(
                bool(raw, Setting.HISTORY),
                intIn(raw, Setting.HISTORY_MAX_EVENTS, 1, 100_000),
                duration(raw, Setting.HISTORY_MAX_AGE),
                intIn(raw, Setting.HISTORY_PAGE_MAX, 1, 10_000),
                intIn(raw, Setting.HISTORY_LOCAL_MAX_BYTES, 1024 * 1024, Integer.MAX_VALUE));

        GatewayConfig.Resume resume = new GatewayConfig.Resume(
                intIn(raw, Setting.FEED_MAX_LENGTH, 0, 1_000_000),
                duration(raw, Setting.FEED_MAX_AGE),
                intIn(raw, Setting.RESUME_MAX_EVENTS, 1, 1_000_000),
                intIn(raw, Setting.RESUME_CONCURRENCY, 1, 100_000),
                intIn(raw, Setting.RESUME_QUEUE, 0, 1_000_000),
                durationOrZero(raw, Setting.RESUME_MAX_WAIT),
                intIn(raw, Setting.RESUME_MAX_CONVERSATIONS, 1, 100_000));
        GatewayConfig.Presence presence = new GatewayConfig.Presence(
                durationOrZero(raw, Setting.PRESENCE_DEBOUNCE),
                intIn(raw, Setting.PRESENCE_MAX_SUBSCRIPTIONS, 1, 100_000),
                intIn(raw, Setting.PRESENCE_RATE, 1, 10_000),
                duration(raw, Setting.PRESENCE_TIMEOUT));
        if (presence.timeout().toMillis() < 400) {
            throw new ConfigException(
                    "presence-timeout: " + raw.get(Setting.PRESENCE_TIMEOUT) + " (expected: at least 400ms)");
        }
        GatewayConfig.Events events = new GatewayConfig.Events(
                duration(raw, Setting.TYPING_INTERVAL),
                durationOrZero(raw, Setting.READ_INTERVAL),
                intIn(raw, Setting.EVENT_RATE_LIMIT, 1, 1_000_000),
                intIn(raw, Setting.EVENT_RATE_BURST, 1, 1_000_000),
                intIn(raw, Setting.UNREAD_MAX, 1, 10_000),
                intIn(raw, Setting.UNREAD_MAX_CONVERSATIONS, 1, 10_000));
        if (events.readInterval().compareTo(MOST_READ_INTERVAL) > 0) {
            throw new ConfigException("read-interval: " + raw.get(Setting.READ_INTERVAL) + " (expected: 0 to 10s)");
        }
        return new GatewayConfig(
                listen, auth, inbox, limits, admin, drain, redis, hooks, dedup, history, dev, logFormat, resume,
                presence, events);
    }

    /** Checked with or without Redis, so a bad value is caught before the day Redis is switched on. */
    private static GatewayConfig.Outbox outbox(Map<Setting, String> raw) throws ConfigException {
        String whenFull = raw.get(Setting.OUTBOX_WHEN_FULL).toLowerCase(Locale.ROOT);
        if (!whenFull.equals("refuse") && !whenFull.equals("trim")) {
            throw new ConfigException(
                    "outbox-when-full: " + raw.get(Setting.OUTBOX_WHEN_FULL) + " (expected: refuse or trim)");
        }
        return new GatewayConfig.Outbox(
                bool(raw, Setting.OUTBOX),
                intIn(raw, Setting.OUTBOX_PARTITIONS, 1, 1024),
                intIn(raw, Setting.OUTBOX_MAX_LENGTH, 1, 100_000_000),
                duration(raw, Setting.OUTBOX_MAX_AGE),
                whenFull.equals("trim"),
                duration(raw, Setting.OUTBOX_JANITOR_INTERVAL));
    }

    private static GatewayConfig.Hooks hooks(Map<Setting, String> raw) throws ConfigException {
        java.net.URI publish = hookUrl(raw, Setting.PUBLISH_HOOK);
        java.net.URI connect = hookUrl(raw, Setting.CONNECT_HOOK);
        byte[] secret = null;
        String rawSecret = raw.get(Setting.HOOK_SECRET);
        if (publish != null || connect != null) {
            if (rawSecret.isEmpty()) {
                throw new ConfigException("hook-secret: unset (expected: at least " + MIN_HOOK_SECRET_BYTES
                        + " bytes, shared with the backend, when --publish-hook or --connect-hook is set)");
            }
            secret = rawSecret.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (secret.length < MIN_HOOK_SECRET_BYTES) {
                throw new ConfigException(
                        "hook-secret: " + secret.length + " bytes (expected: at least " + MIN_HOOK_SECRET_BYTES + ")");
            }
        }
        return new GatewayConfig.Hooks(
                publish,
                connect,
                secret,
                duration(raw, Setting.HOOK_TIMEOUT),
                intIn(raw, Setting.HOOK_MAX_IN_FLIGHT, 1, 1_000_000),
                intIn(raw, Setting.HOOK_MAX_CONNECTIONS, 1, 100_000));
    }

    /** An absolute http(s) URL with a host, or {@code null} when unset. */
    static java.net.URI hookUrl(Map<Setting, String> raw, Setting s) throws ConfigException {
        String v = raw.get(s);
        if (v.isEmpty()) {
            return null;
        }
        try {
            java.net.URI uri = new java.net.URI(v);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                return uri;
            }
        } catch (java.net.URISyntaxException e) {
            // reported below
        }
        throw new ConfigException(s.flag() + ": " + v + " (expected: an http:// or https:// URL with a host)");
    }

    private static String nonEmpty(Map<Setting, String> raw, Setting s) throws ConfigException {
        String v = raw.get(s);
        if (v.isEmpty()) {
            throw new ConfigException(s.flag() + ": empty (expected: a value)");
        }
        return v;
    }

    /** The value lower-cased, when it is one of {@code allowed}. */
    private static String oneOf(Map<Setting, String> raw, Setting s, String... allowed) throws ConfigException {
        String v = raw.get(s).toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(v)) {
                return v;
            }
        }
        throw new ConfigException(
                s.flag() + ": " + raw.get(s) + " (expected one of: " + String.join(", ", allowed) + ")");
    }

    private static String emptyToNull(String v) {
        return v.isEmpty() ? null : v;
    }

    private static boolean bool(Map<Setting, String> raw, Setting s) throws ConfigException {
        String v = raw.get(s).toLowerCase(Locale.ROOT);
        return switch (v) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off", "" -> false;
            default -> throw new ConfigException(s.flag() + ": " + raw.get(s) + " (expected: true or false)");
        };
    }

    private static int port(Map<Setting, String> raw, Setting s) throws ConfigException {
        return intIn(raw, s, 0, 65_535);
    }

    private static int intIn(Map<Setting, String> raw, Setting s, int min, int max) throws ConfigException {
        String v = raw.get(s);
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new ConfigException(s.flag() + ": " + v + " (expected: an integer from " + min + " to " + max + ")");
        }
        if (n < min || n > max) {
            throw new ConfigException(s.flag() + ": " + v + " (expected: " + min + " to " + max + ")");
        }
        return n;
    }

    /** A {@link #duration}, or {@code 0} for none (the setting's feature off). */
    static Duration durationOrZero(Map<Setting, String> raw, Setting s) throws ConfigException {
        String v = raw.get(s).trim();
        if (v.equals("0")) {
            return Duration.ZERO;
        }
        try {
            return duration(raw, s);
        } catch (ConfigException e) {
            throw new ConfigException(
                    s.flag() + ": " + raw.get(s) + " (expected: 0, or a positive duration like 500ms, 30s, 2m)");
        }
    }

    /** {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}; positive. */
    static Duration duration(Map<Setting, String> raw, Setting s) throws ConfigException {
        String v = raw.get(s).toLowerCase(Locale.ROOT);
        try {
            Duration d;
            if (v.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            } else if (v.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            } else if (v.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
            } else if (v.endsWith("h")) {
                d = Duration.ofHours(Long.parseLong(v.substring(0, v.length() - 1)));
            } else {
                throw new NumberFormatException();
            }
            if (d.isNegative() || d.isZero()) {
                throw new NumberFormatException();
            }
            d.toNanos(); // timers run in nanoseconds: about 292 years is the most they hold
            return d;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new ConfigException(
                    s.flag() + ": " + raw.get(s) + " (expected: a positive duration like 500ms, 30s, 2m)");
        }
    }

    private static List<String> origins(String v) throws ConfigException {
        List<String> out = new ArrayList<>();
        for (String part : v.split(",")) {
            String o = part.trim().toLowerCase(Locale.ROOT);
            if (o.isEmpty()) {
                continue;
            }
            while (o.endsWith("/")) {
                o = o.substring(0, o.length() - 1);
            }
            if (!o.startsWith("http://") && !o.startsWith("https://")) {
                throw new ConfigException("allowed-origins: " + part.trim()
                        + " (expected: scheme://host[:port], like https://app.example.com)");
            }
            out.add(o);
        }
        return out;
    }
}
