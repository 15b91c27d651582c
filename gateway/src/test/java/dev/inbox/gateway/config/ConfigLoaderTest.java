package dev.inbox.gateway.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigLoaderTest {
    /** Exactly {@link ConfigLoader#MIN_HS256_SECRET_BYTES} ASCII bytes. */
    private static final String SECRET = "0123456789abcdef0123456789abcdef";

    private static final String API_KEY = "0123456789abcdef";

    @TempDir
    Path dir;

    private static GatewayConfig load(String... args) throws ConfigException {
        return ConfigLoader.load(args, Map.of());
    }

    /** A complete production configuration (key and API key) plus {@code extra}. */
    private static String[] prod(String... extra) {
        List<String> args = new ArrayList<>(List.of("--jwt-secret", SECRET, "--api-key", API_KEY));
        args.addAll(Arrays.asList(extra));
        return args.toArray(new String[0]);
    }

    /** Loads {@code args} with an empty environment, expecting a one-line error that starts with {@code prefix}. */
    private static ConfigException rejected(String prefix, String... args) {
        return rejectedWith(Map.of(), prefix, args);
    }

    private static ConfigException rejectedWith(Map<String, String> env, String prefix, String... args) {
        ConfigException e = assertThrows(
                ConfigException.class,
                () -> ConfigLoader.load(args, env),
                () -> "expected a ConfigException for " + Arrays.toString(args));
        String m = e.getMessage();
        assertTrue(m.startsWith(prefix), () -> "message '" + m + "' should start with '" + prefix + "'");
        assertFalse(m.contains("\n") || m.contains("\r"), () -> "message should be one line: " + m);
        return e;
    }

    // ---- defaults and precedence -------------------------------------------------------------------------

    @Test
    void devModeAloneGivesEveryDefault() throws ConfigException {
        GatewayConfig c = load("--dev");

        assertTrue(c.dev());
        assertEquals(
                new GatewayConfig.Listen("0.0.0.0", "127.0.0.1", 8080, 8081, 0, false, List.of(), "auto", true),
                c.listen());
        assertFalse(c.auth().hasKey());
        assertNull(c.auth().jwtSecret());
        assertNull(c.auth().jwtPublicKey());
        assertNull(c.auth().issuer());
        assertNull(c.auth().audience());
        assertEquals("inbox_token", c.auth().tokenCookie());
        assertEquals(List.of(), c.auth().allowedOrigins());
        assertEquals(
                new GatewayConfig.Inbox(
                        65536,
                        4096,
                        Duration.ofSeconds(30),
                        Duration.ofSeconds(75),
                        Duration.ofSeconds(10),
                        1_048_576,
                        Duration.ofSeconds(5)),
                c.inbox());
        assertEquals(
                new GatewayConfig.Admin(ConfigLoader.DEV_API_KEY, 1_048_576, 10_000, Duration.ofSeconds(10), 64),
                c.admin());
    }

    @Test
    void theDemoPageIsOnInDevModeAndOptInOtherwise() throws ConfigException {
        assertTrue(load("--dev").listen().demoPage());
        assertFalse(load("--dev", "--demo-page", "false").listen().demoPage());
        assertFalse(load("--jwt-secret", "s".repeat(32), "--api-key", "k".repeat(16))
                .listen()
                .demoPage());
        assertTrue(load("--jwt-secret", "s".repeat(32), "--api-key", "k".repeat(16), "--demo-page", "true")
                .listen()
                .demoPage());
    }

    @Test
    void resendsAreRecognisedForTwoMinutesByDefaultAndZeroTurnsThatOff() throws ConfigException {
        GatewayConfig.Dedup byDefault = load("--dev").dedup();
        assertEquals(new GatewayConfig.Dedup(Duration.ofMinutes(2), 200_000), byDefault);
        assertTrue(byDefault.enabled());
        assertFalse(load("--dev", "--dedup-window", "0").dedup().enabled());
        assertEquals(
                Duration.ofMillis(1500),
                load("--dev", "--dedup-window", "1500ms").dedup().window());
        assertEquals(7, load("--dev", "--dedup-max-entries", "7").dedup().maxEntries());
        rejected("dedup-window: 5 (expected: 0, or a positive duration", "--dev", "--dedup-window", "5");
        rejected("dedup-window: -1s", "--dev", "--dedup-window", "-1s");
        rejected("dedup-max-entries: 0 (expected: 1 to", "--dev", "--dedup-max-entries", "0");
    }

    @Test
    void devModeDrainsWithoutDelayUnlessTheDelayIsSet() throws ConfigException {
        Duration fiveSeconds = Duration.ofSeconds(5);
        assertEquals(
                new GatewayConfig.Drain(Duration.ZERO, Duration.ofSeconds(10), Duration.ofSeconds(25)),
                load("--dev").drain(),
                "no load balancer waits on a dev node's /readyz");
        assertEquals(fiveSeconds, load(prod()).drain().delay(), "the default everywhere else");
        assertEquals(fiveSeconds, load("--dev", "--drain-delay", "5s").drain().delay(), "a flag holds in dev mode");
        assertEquals(
                Duration.ofSeconds(2),
                ConfigLoader.load(new String[] {"--dev"}, Map.of("INBOX_DRAIN_DELAY", "2s"))
                        .drain()
                        .delay(),
                "so does the environment");
        assertTrue(rejected("drain-deadline: 20s", "--dev", "--drain-window", "20s", "--drain-deadline", "20s")
                .getMessage()
                .contains("0 in dev mode + 20s"));
    }

    @Test
    void environmentVariablesAreTheFlagsInUpperSnakeCaseWithInboxPrefix() {
        for (Setting s : Setting.values()) {
            if (s != Setting.REDIS) {
                assertEquals(
                        "INBOX_" + s.flag().toUpperCase(java.util.Locale.ROOT).replace('-', '_'), s.env());
            }
        }
        assertEquals("INBOX_MAX_FRAME_BYTES", Setting.MAX_FRAME_BYTES.env());
        assertEquals("INBOX_REDIS_URL", Setting.REDIS.env(), "the name the relay issue and deployments use");
    }

    @Test
    void redisUrlFromTheEnvironmentMakesTheNodeClustered() throws ConfigException {
        GatewayConfig c =
                ConfigLoader.load(new String[] {"--dev"}, Map.of("INBOX_REDIS_URL", "redis://:pw@127.0.0.1:7000"));
        assertTrue(c.clustered());
        assertEquals("127.0.0.1", c.redis().target().node().getHost());
        assertEquals(7000, c.redis().target().node().getPort());
        assertEquals(
                "pw",
                new String(c.redis()
                        .target()
                        .node()
                        .getCredentialsProvider()
                        .resolveCredentials()
                        .block()
                        .getPassword()));
        assertFalse(c.redis().toString().contains("pw"), "the password is never printed");
        assertFalse(ConfigLoader.load(new String[] {"--dev"}, Map.of()).clustered());
    }

    @Test
    void gapWindowDefaultsToFiveSecondsAndTakesTheEnvironment() throws ConfigException {
        GatewayConfig c = ConfigLoader.load(new String[] {"--dev", "--redis", "redis://127.0.0.1:7000"}, Map.of());
        assertEquals(java.time.Duration.ofSeconds(5), c.redis().gapWindow());
        c = ConfigLoader.load(
                new String[] {"--dev", "--redis", "redis://127.0.0.1:7000"}, Map.of("INBOX_REDIS_GAP_WINDOW", "750ms"));
        assertEquals(java.time.Duration.ofMillis(750), c.redis().gapWindow());
        rejected("redis-gap-window: 0s", "--dev", "--redis", "redis://127.0.0.1:7000", "--redis-gap-window", "0s");
    }

    @Test
    void redisMaxLatencyDefaultsTo500msTakesTheEnvironmentAndZeroTurnsItOff() throws ConfigException {
        GatewayConfig c = ConfigLoader.load(new String[] {"--dev", "--redis", "redis://127.0.0.1:7000"}, Map.of());
        assertEquals(java.time.Duration.ofMillis(500), c.redis().maxLatency());
        c = ConfigLoader.load(
                new String[] {"--dev", "--redis", "redis://127.0.0.1:7000"}, Map.of("INBOX_REDIS_MAX_LATENCY", "1s"));
        assertEquals(java.time.Duration.ofSeconds(1), c.redis().maxLatency());
        c = ConfigLoader.load(
                new String[] {"--dev", "--redis", "redis://127.0.0.1:7000", "--redis-max-latency", "0"}, Map.of());
        assertEquals(java.time.Duration.ZERO, c.redis().maxLatency());
        rejected("redis-max-latency: -1s", "--dev", "--redis", "redis://127.0.0.1:7000", "--redis-max-latency", "-1s");
    }

    @Test
    void theTransportIsChosenAutomaticallyUnlessOneIsNamed() throws ConfigException {
        assertEquals("auto", load("--dev").listen().transport());
        assertEquals("nio", load("--dev", "--transport", "NIO").listen().transport());
        assertEquals(
                "io_uring",
                ConfigLoader.load(new String[] {"--dev"}, Map.of("INBOX_TRANSPORT", "io_uring"))
                        .listen()
                        .transport());
        rejected("transport: kqueue (expected one of: auto, io_uring, epoll, nio)", "--dev", "--transport", "kqueue");
    }

    @Test
    void theOutboxIsOnWithSixteenPartitionsAndRefusesWhenFullUnlessToldOtherwise() throws ConfigException {
        GatewayConfig.Outbox outbox = ConfigLoader.load(
                        new String[] {"--dev", "--redis", "redis://127.0.0.1:7000"}, Map.of())
                .redis()
                .outbox();
        assertEquals(
                new GatewayConfig.Outbox(
                        true, 16, 100_000, java.time.Duration.ofHours(24), false, java.time.Duration.ofSeconds(10)),
                outbox);
        outbox = ConfigLoader.load(
                        new String[] {
                            "--dev", "--redis", "redis://h:1", "--outbox-when-full", "trim", "--outbox", "false"
                        },
                        Map.of("INBOX_OUTBOX_PARTITIONS", "1024"))
                .redis()
                .outbox();
        assertTrue(outbox.trimWhenFull());
        assertFalse(outbox.enabled());
        assertEquals(1024, outbox.partitions());
        rejected("outbox-partitions: 0 (expected: 1 to 1024)", "--dev", "--outbox-partitions", "0");
        rejected("outbox-partitions: 1025", "--dev", "--outbox-partitions", "1025");
        rejected("outbox-max-length: 0", "--dev", "--outbox-max-length", "0");
        rejected("outbox-when-full: drop (expected: refuse or trim)", "--dev", "--outbox-when-full", "drop");
        rejected("outbox-max-age: 0s", "--dev", "--outbox-max-age", "0s");
    }

    @Test
    void historyIsOnWithAThousandEventsForADayInPagesOfAHundredUnlessToldOtherwise() throws ConfigException {
        assertEquals(
                new GatewayConfig.History(true, 1000, java.time.Duration.ofHours(24), 100, 64L * 1024 * 1024),
                ConfigLoader.load(new String[] {"--dev"}, Map.of()).history());
        GatewayConfig.History history = ConfigLoader.load(
                        new String[] {"--dev", "--history", "false", "--history-max-age", "90m"},
                        Map.of("INBOX_HISTORY_MAX_EVENTS", "50", "INBOX_HISTORY_PAGE_MAX", "20"))
                .history();
        assertEquals(
                new GatewayConfig.History(false, 50, java.time.Duration.ofMinutes(90), 20, 64L * 1024 * 1024), history);
        rejected("history-max-events: 0 (expected: 1 to 100000)", "--dev", "--history-max-events", "0");
        rejected("history-page-max: 0", "--dev", "--history-page-max", "0");
        rejected("history-max-age: 0s", "--dev", "--history-max-age", "0s");
        rejected("history-local-max-bytes: 1000", "--dev", "--history-local-max-bytes", "1000");
    }

    @Test
    void typingAndReceiptsHaveTheirOwnRateAndBoundsUnlessToldOtherwise() throws ConfigException {
        assertEquals(
                new GatewayConfig.Events(
                        java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(1), 20, 40, 99, 100),
                ConfigLoader.load(new String[] {"--dev"}, Map.of()).events());
        assertEquals(
                new GatewayConfig.Events(
                        java.time.Duration.ofMillis(500), java.time.Duration.ofSeconds(1), 5, 10, 9, 50),
                ConfigLoader.load(
                                new String[] {"--dev", "--typing-interval", "500ms", "--event-rate-limit", "5"},
                                Map.of(
                                        "INBOX_READ_INTERVAL", "1s",
                                        "INBOX_EVENT_RATE_BURST", "10",
                                        "INBOX_UNREAD_MAX", "9",
                                        "INBOX_UNREAD_MAX_CONVERSATIONS", "50"))
                        .events());
        rejected("typing-interval: 0s", "--dev", "--typing-interval", "0s");
        assertEquals(
                java.time.Duration.ZERO,
                ConfigLoader.load(new String[] {"--dev", "--read-interval", "0"}, Map.of())
                        .events()
                        .readInterval(),
                "0 turns READ coalescing off");
        assertEquals(
                java.time.Duration.ofSeconds(10),
                ConfigLoader.load(new String[] {"--dev", "--read-interval", "10s"}, Map.of())
                        .events()
                        .readInterval(),
                "the upper bound is allowed");
        rejected("read-interval: 10001ms (expected: 0 to 10s)", "--dev", "--read-interval", "10001ms");
        rejectedWith(Map.of("INBOX_READ_INTERVAL", "-1ms"), "read-interval: -1ms", "--dev");
        rejected("read-interval: soon", "--dev", "--read-interval", "soon");
        rejected("event-rate-limit: 0", "--dev", "--event-rate-limit", "0");
        rejected("event-rate-burst: 0", "--dev", "--event-rate-burst", "0");
        rejected("unread-max: 0", "--dev", "--unread-max", "0");
        rejected("unread-max-conversations: 10001", "--dev", "--unread-max-conversations", "10001");
    }

    @Test
    void aHookNeedsAnHttpUrlAndASecretOfThirtyTwoBytes() throws ConfigException {
        String key = "k".repeat(32);
        rejected("hook-secret: unset", "--dev", "--publish-hook", "http://127.0.0.1:9000/publish");
        rejected("hook-secret: 31 bytes", "--dev", "--connect-hook", "http://h/c", "--hook-secret", "k".repeat(31));
        rejected("publish-hook: ftp://h/p", "--dev", "--publish-hook", "ftp://h/p", "--hook-secret", key);
        rejected("connect-hook: /relative", "--dev", "--connect-hook", "/relative", "--hook-secret", key);

        GatewayConfig.Hooks hooks = load("--dev", "--publish-hook", "https://backend/p", "--hook-secret", key)
                .hooks();
        assertEquals("https://backend/p", hooks.publish().toString());
        assertEquals(null, hooks.connect());
        assertEquals(java.time.Duration.ofSeconds(2), hooks.timeout());
        assertEquals(1000, hooks.maxInFlight());
        assertEquals(256, hooks.maxConnections());
        assertEquals(
                8,
                load("--dev", "--publish-hook", "http://b/p", "--hook-secret", key, "--hook-max-connections", "8")
                        .hooks()
                        .maxConnections());
        rejected(
                "hook-max-connections",
                "--dev",
                "--publish-hook",
                "http://b/p",
                "--hook-secret",
                key,
                "--hook-max-connections",
                "0");
        assertFalse(hooks.toString().contains(key), "the secret is never printed");
    }

    @Test
    void redisUriMustBeARedisUri() {
        ConfigException e = rejected("redis: ", "--dev", "--redis", "http://:secret@host:6379");
        assertFalse(e.getMessage().contains("secret"), e::getMessage);
    }

    @Test
    void environmentOverridesDefaults() throws ConfigException {
        Map<String, String> env = Map.of(
                "INBOX_DEV", "true",
                "INBOX_PORT", "9000",
                "INBOX_PING_INTERVAL", " 5s ",
                "INBOX_IDLE_TIMEOUT", "1m",
                "INBOX_ALLOWED_ORIGINS", "https://app.example.com");
        GatewayConfig c = ConfigLoader.load(new String[0], env);

        assertTrue(c.dev());
        assertEquals(9000, c.listen().port());
        assertEquals(8081, c.listen().adminPort());
        assertEquals(Duration.ofSeconds(5), c.inbox().pingInterval());
        assertEquals(Duration.ofMinutes(1), c.inbox().idleTimeout());
        assertEquals(List.of("https://app.example.com"), c.auth().allowedOrigins());
    }

    @Test
    void flagsOverrideEnvironmentWhichOverridesDefaults() throws ConfigException {
        Map<String, String> env = Map.of(
                "INBOX_PORT", "9000", "INBOX_ADMIN_PORT", "9001", "INBOX_JWT_SECRET", SECRET, "INBOX_API_KEY", API_KEY);
        GatewayConfig c = ConfigLoader.load(new String[] {"--port", "9100"}, env);

        assertEquals(9100, c.listen().port(), "flag beats environment");
        assertEquals(9001, c.listen().adminPort(), "environment beats default");
        assertEquals(0, c.listen().workerThreads(), "default when neither is set");
        assertArrayEquals(SECRET.getBytes(StandardCharsets.UTF_8), c.auth().jwtSecret());
        assertEquals(API_KEY, c.admin().apiKey());
        assertFalse(c.dev());
    }

    @Test
    void unrelatedEnvironmentVariablesAreIgnored() throws ConfigException {
        GatewayConfig c = ConfigLoader.load(new String[] {"--dev"}, Map.of("PORT", "1", "INBOX_PORTS", "2"));
        assertEquals(8080, c.listen().port());
    }

    @Test
    void flagWithEqualsAndFlagWithSeparateValueAreTheSame() throws ConfigException {
        GatewayConfig eq = load(prod("--port=9100", "--jwt-issuer=https://idp.example", "--ping-interval=2s"));
        GatewayConfig sep =
                load(prod("--port", "9100", "--jwt-issuer", "https://idp.example", "--ping-interval", "2s"));

        assertEquals(9100, eq.listen().port());
        assertEquals("https://idp.example", eq.auth().issuer());
        assertEquals(Duration.ofSeconds(2), eq.inbox().pingInterval());
        assertEquals(eq.listen(), sep.listen());
        assertEquals(eq.inbox(), sep.inbox());
        assertEquals(eq.auth().issuer(), sep.auth().issuer());
    }

    @Test
    void valueAfterEqualsMayItselfContainEquals() throws ConfigException {
        GatewayConfig c = load(prod("--jwt-audience=a=b"));
        assertEquals("a=b", c.auth().audience());
    }

    @Test
    void devFlagTakesAnOptionalValue() throws ConfigException {
        assertTrue(load("--dev", "--port", "1234").dev());
        assertTrue(load("--port", "1234", "--dev").dev());
        assertTrue(load("--dev=true").dev());
        assertTrue(load("--dev", "yes").dev());
        assertFalse(load(prod("--dev", "false")).dev());
        assertFalse(load(prod("--dev=off")).dev());
    }

    @Test
    void devModeAcceptsAShortApiKey() throws ConfigException {
        assertEquals("short", load("--dev", "--api-key", "short").admin().apiKey());
    }

    @Test
    void productionConfigurationLoads() throws ConfigException {
        GatewayConfig c = load(prod(
                "--allowed-origins",
                " https://App.Example.com/ ,, http://localhost:3000 ",
                "--token-cookie",
                "",
                "--max-frame-bytes",
                "1024",
                "--max-message-chars",
                "1024",
                "--handshake-timeout",
                "500ms",
                "--idle-timeout",
                "1h",
                "--ping-interval",
                "59m"));

        assertFalse(c.dev());
        assertTrue(c.auth().hasKey());
        assertNull(c.auth().tokenCookie(), "an empty cookie name disables cookie auth");
        assertEquals(
                List.of("https://app.example.com", "http://localhost:3000"),
                c.auth().allowedOrigins(),
                "origins are trimmed, lower-cased, stripped of a trailing slash; empty entries are skipped");
        assertEquals(1024, c.inbox().maxFrameBytes());
        assertEquals(Duration.ofMillis(500), c.inbox().handshakeTimeout());
        assertEquals(Duration.ofHours(1), c.inbox().idleTimeout());
    }

    @Test
    void secretLengthIsCountedInBytesNotCharacters() throws ConfigException {
        String elevenEuros = "€".repeat(11); // 11 characters, 33 UTF-8 bytes
        GatewayConfig c = load("--jwt-secret", elevenEuros, "--api-key", API_KEY);
        assertEquals(33, c.auth().jwtSecret().length);
    }

    @Test
    void publicKeyFileIsAccepted() throws IOException, ConfigException {
        Path pem = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n");
        GatewayConfig c = load("--jwt-public-key", pem.toString(), "--api-key", API_KEY);
        assertEquals(pem, c.auth().jwtPublicKey());
        assertNull(c.auth().jwtSecret());
    }

    @Test
    void secretsAreNeverPrinted() throws ConfigException {
        GatewayConfig c = load(prod());
        assertFalse(c.toString().contains(SECRET));
        assertFalse(c.toString().contains(API_KEY));
    }

    // ---- every error path ----------------------------------------------------------------------------------

    @Test
    void noTokenKeyOutsideDevModeIsRefused() {
        ConfigException e = rejected("no token key", "--api-key", API_KEY);
        assertTrue(
                e.getMessage().contains("--jwt-secret") && e.getMessage().contains("--jwt-public-key"), e::getMessage);
    }

    @Test
    void aConnectHookStandsInForTheTokenKey() throws ConfigException {
        ConfigException e = rejected("no token key", "--api-key", API_KEY);
        assertTrue(e.getMessage().contains("--connect-hook"), e::getMessage);
        GatewayConfig c = load(
                "--api-key",
                API_KEY,
                "--connect-hook",
                "http://127.0.0.1:9000/connect",
                "--hook-secret",
                "k".repeat(32));
        assertFalse(c.auth().hasKey());
        assertEquals("http://127.0.0.1:9000/connect", c.hooks().connect().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "70000", "65536", "abc", "", "80.5", "99999999999"})
    void badPortIsRefused(String port) {
        ConfigException e = rejected("port: ", "--dev", "--port", port);
        assertTrue(e.getMessage().contains("0") && e.getMessage().contains("65535"), e::getMessage);
    }

    @Test
    void badAdminPortIsRefused() {
        rejected("admin-port: 70000", "--dev", "--admin-port", "70000");
    }

    @Test
    void samePortForPublicAndAdminIsRefused() {
        rejected("port and admin-port are both 9000", "--dev", "--port", "9000", "--admin-port", "9000");
    }

    @Test
    void portZeroForBothPicksFreePortsAndIsAllowed() throws ConfigException {
        GatewayConfig c = load("--dev", "--port", "0", "--admin-port", "0");
        assertEquals(0, c.listen().port());
        assertEquals(0, c.listen().adminPort());
    }

    @Test
    void emptyBindAddressIsRefused() {
        rejected("bind: empty", "--dev", "--bind", "");
        rejected("admin-bind: empty", "--dev", "--admin-bind", "");
    }

    /** Issue 11: the admin port answers health without a key, so it is private unless the operator says otherwise. */
    @Test
    void theAdminPortStaysOnLoopbackWhenOnlyThePublicBindIsSet() throws ConfigException {
        GatewayConfig c = load("--dev", "--bind", "0.0.0.0");
        assertEquals("127.0.0.1", c.listen().adminBind());
        assertEquals(
                "0.0.0.0", load("--dev", "--admin-bind", "0.0.0.0").listen().adminBind());
    }

    @Test
    void adminConnectionBoundsOutOfRangeAreRefused() {
        rejected("admin-max-connections: 0", "--dev", "--admin-max-connections", "0");
        rejected("admin-read-timeout: 0s", "--dev", "--admin-read-timeout", "0s");
    }

    @Test
    void workerThreadsOutOfRangeIsRefused() {
        rejected("worker-threads: -1", "--dev", "--worker-threads", "-1");
        rejected("worker-threads: 5000", "--dev", "--worker-threads", "5000");
    }

    @Test
    void secretShorterThan32BytesIsRefused() {
        ConfigException e = rejected("jwt-secret: 31 bytes", "--jwt-secret", SECRET.substring(1), "--api-key", API_KEY);
        assertTrue(e.getMessage().contains("32"), e::getMessage);
        assertFalse(e.getMessage().contains(SECRET.substring(1)), "the secret itself is never printed");
    }

    @Test
    void secretAndPublicKeyTogetherAreRefused() throws IOException {
        Path pem = Files.writeString(dir.resolve("key.pem"), "x");
        rejected(
                "jwt-secret and jwt-public-key are both set",
                "--jwt-secret",
                SECRET,
                "--jwt-public-key",
                pem.toString(),
                "--api-key",
                API_KEY);
    }

    @Test
    void missingPublicKeyFileIsRefused() {
        String missing = dir.resolve("nope.pem").toString();
        ConfigException e = rejected("jwt-public-key: ", "--jwt-public-key", missing, "--api-key", API_KEY);
        assertTrue(e.getMessage().contains(missing), e::getMessage);
    }

    @Test
    void directoryAsPublicKeyFileIsRefused() {
        rejected("jwt-public-key: ", "--jwt-public-key", dir.toString(), "--api-key", API_KEY);
    }

    @Test
    void flagFollowedByAnotherFlagIsMissingItsValue() {
        rejected("--jwt-issuer: missing value", "--dev", "--jwt-issuer", "--port", "9000");
    }

    @Test
    void idleTimeoutEqualToPingIntervalIsRefused() {
        ConfigException e = rejected("idle-timeout: 1m", "--dev", "--ping-interval", "60s", "--idle-timeout", "1m");
        assertTrue(e.getMessage().contains("ping-interval 60s"), e::getMessage);
    }

    @Test
    void idleTimeoutShorterThanPingIntervalIsRefused() {
        rejected("idle-timeout: 10s", "--dev", "--ping-interval", "30s", "--idle-timeout", "10s");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10", "abc", "0s", "0ms", "-5s", "1.5s", "5x", "ms", "s", "", "10 s", "1d"})
    void badDurationIsRefused(String value) {
        ConfigException e = rejected("handshake-timeout: ", "--dev", "--handshake-timeout", value);
        assertTrue(e.getMessage().contains("expected: a positive duration"), e::getMessage);
    }

    @Test
    void durationsAreCaseInsensitive() throws ConfigException {
        assertEquals(
                Duration.ofMillis(250),
                load("--dev", "--handshake-timeout", "250MS").inbox().handshakeTimeout());
        assertEquals(
                Duration.ofHours(2),
                load("--dev", "--idle-timeout", "2H").inbox().idleTimeout());
    }

    /**
     * A number that parses as a long but overflows {@link Duration} must be a configuration error like any other
     * bad duration, not an {@link ArithmeticException} escaping {@code ConfigLoader.load} (Main would then die
     * with a stack trace and exit code 1 instead of one line and exit code 2).
     */
    @ParameterizedTest
    @ValueSource(strings = {"9999999999999999h", "999999999999999999m"})
    void durationTooLargeToRepresentIsRefused(String value) {
        rejected("idle-timeout: ", "--dev", "--idle-timeout", value);
    }

    /**
     * Every duration is turned into nanoseconds when a connection starts ({@code HandshakeHandler.handlerAdded},
     * {@code new Keepalive}); one past {@code Long.MAX_VALUE} ns (~292 years) passes validation today and then
     * throws {@link ArithmeticException} on every connection, so no handshake handler is ever installed.
     */
    @ParameterizedTest
    @ValueSource(strings = {"3000000h", "200000000000000000ms"})
    void durationBeyondTheNanosecondRangeIsRefused(String value) {
        rejected("handshake-timeout: ", "--dev", "--handshake-timeout", value);
    }

    @Test
    void unknownFlagIsRefused() {
        rejected("unknown flag --prot", "--dev", "--prot", "8080");
        rejected("unknown flag --prot", "--dev", "--prot=8080");
    }

    @Test
    void positionalArgumentIsRefused() {
        rejected("unexpected argument 'serve'", "serve", "--dev");
        rejected("unexpected argument '-p'", "-p", "8080");
    }

    @Test
    void flagWithoutValueAtTheEndIsRefused() {
        rejected("--port: missing value", "--dev", "--port");
    }

    @Test
    void badBooleanIsRefused() {
        rejected("dev: maybe", "--dev=maybe");
        rejectedWith(Map.of("INBOX_DEV", "sure"), "dev: sure");
    }

    @Test
    void apiKeyMissingOutsideDevModeIsRefused() {
        rejected("no api-key", "--jwt-secret", SECRET);
    }

    @Test
    void apiKeyShorterThan16CharactersOutsideDevModeIsRefused() {
        ConfigException e =
                rejected("api-key: 15 characters", "--jwt-secret", SECRET, "--api-key", API_KEY.substring(1));
        assertFalse(e.getMessage().contains(API_KEY.substring(1)), "the key itself is never printed");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"app.example.com", "ftp://app.example.com", "https://ok.example.com,*", "//app.example.com"})
    void badAllowedOriginIsRefused(String origins) {
        rejected("allowed-origins: ", "--dev", "--allowed-origins", origins);
    }

    @Test
    void frameSizeOutOfRangeIsRefused() {
        rejected("max-frame-bytes: 1023", "--dev", "--max-frame-bytes", "1023");
        rejected("max-frame-bytes: 16777217", "--dev", "--max-frame-bytes", "16777217");
    }

    @Test
    void messageCharsUpToFrameBytesIsAllowed() throws ConfigException {
        assertEquals(
                2048,
                load("--dev", "--max-frame-bytes", "2048", "--max-message-chars", "2048")
                        .inbox()
                        .maxMessageChars());
    }

    @Test
    void messageCharsAboveFrameBytesIsRefused() {
        rejected("max-message-chars: 2049", "--dev", "--max-frame-bytes", "2048", "--max-message-chars", "2049");
        rejected("max-message-chars: 0", "--dev", "--max-message-chars", "0");
    }

    @Test
    void adminLimitsOutOfRangeAreRefused() {
        rejected("admin-max-body-bytes: 63", "--dev", "--admin-max-body-bytes", "63");
        rejected("max-members: 0", "--dev", "--max-members", "0");
    }

    @Test
    void badValueFromTheEnvironmentNamesTheSetting() {
        rejectedWith(Map.of("INBOX_DEV", "1", "INBOX_PORT", "http"), "port: http");
    }

    // ---- the real entry point --------------------------------------------------------------------------------

    /** Exit code and stderr lines of the real {@code Main} run in a child JVM with {@code args}. */
    private record Exit(int code, List<String> stderr) {}

    private Exit runMain(String... args) throws IOException, InterruptedException {
        Path stderr = Files.createTempFile(dir, "stderr", ".txt");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m",
                "-cp",
                System.getProperty("java.class.path"),
                "dev.inbox.gateway.server.Main"));
        command.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        // The child must see neither our INBOX_ settings nor JVM option variables (the JVM reports those on stderr).
        Map<String, String> env = pb.environment();
        new HashMap<>(env)
                .keySet().stream()
                        .filter(k -> k.startsWith("INBOX_")
                                || k.equals("JAVA_TOOL_OPTIONS")
                                || k.equals("JDK_JAVA_OPTIONS")
                                || k.equals("_JAVA_OPTIONS"))
                        .forEach(env::remove);
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.redirectError(stderr.toFile());
        Process p = pb.start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                fail("Main did not exit within 60 s on a bad configuration");
            }
        } finally {
            p.destroyForcibly();
        }
        return new Exit(p.exitValue(), Files.readAllLines(stderr, StandardCharsets.UTF_8));
    }

    @Test
    void mainExitsWithCode2AndOneLineOnStderrForABadConfiguration() throws IOException, InterruptedException {
        Exit exit = runMain("--dev", "--port", "70000");

        assertEquals(2, exit.code(), () -> "exit code; stderr: " + exit.stderr());
        assertEquals(1, exit.stderr().size(), () -> "stderr: " + exit.stderr());
        assertTrue(
                exit.stderr().get(0).startsWith("inbox-gateway: port: 70000"),
                exit.stderr().get(0));
    }

    @Test
    void mainExitsWithCode2ForAnOverflowingDuration() throws IOException, InterruptedException {
        Exit exit = runMain("--dev", "--idle-timeout", "9999999999999999h");

        assertEquals(2, exit.code(), () -> "exit code; stderr: " + exit.stderr());
        assertEquals(1, exit.stderr().size(), () -> "stderr: " + exit.stderr());
        assertTrue(
                exit.stderr().get(0).startsWith("inbox-gateway: idle-timeout: "),
                exit.stderr().get(0));
    }
}
