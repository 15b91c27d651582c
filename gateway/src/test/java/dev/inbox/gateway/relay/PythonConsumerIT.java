package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.routing.ClockMessageIds;
import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.Await;
import dev.inbox.testkit.Json;
import dev.inbox.testkit.RedisServer;
import dev.inbox.testkit.Tokens;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outbox example a backend team starts from ({@code deploy/examples/django_outbox_consumer.py}), run for real:
 * a node on a Redis of the test's own, messages from WebSocket clients and the admin API, then the consumer as a
 * backend runs it, on Debian's python3 with redis-py. The first consumer dies between its save and its XACK; the
 * next one takes over what the first was given (XAUTOCLAIM), saves it again without a duplicate and acknowledges it.
 * The database then holds every admitted message exactly once, with the fields the senders were acknowledged with
 * (docs/operations.md, "The outbox").
 */
class PythonConsumerIT {
    private static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Path CONSUMER = Path.of("..", "deploy", "examples", "django_outbox_consumer.py");
    /** The example's exit code for {@code --crash-after}. */
    private static final int CRASHED = 3;

    private static final String GROUP = "backend";
    /** Fewer partitions than conversations: several conversations share a stream, and every stream is used. */
    private static final int PARTITIONS = 4;

    private static final int CLIENT_MESSAGES = 30;
    private static final int CRASH_AFTER = 10;
    private static final DateTimeFormatter RFC3339_MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    @TempDir
    Path dir;

    private RedisServer redis;
    private GatewayFixture node;
    private final List<Process> consumers = new ArrayList<>();

    @BeforeEach
    void start() throws IOException, InterruptedException {
        requirePythonRedis();
        redis = RedisServer.start();
        node = GatewayFixture.start("--redis", redis.uri(), "--outbox-partitions", Integer.toString(PARTITIONS))
                .awaitReady();
    }

    @AfterEach
    void stop() {
        consumers.forEach(Process::destroyForcibly);
        if (node != null) {
            node.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void aConsumerKilledBeforeItsAckCostsARedeliveryAndEveryMessageIsSavedOnce() throws Exception {
        long sharedId = sameNextId(1, 2);
        Map<String, Map<String, String>> sent = sendMessages();
        assertTrue(
                sent.containsKey("1/" + sharedId) && sent.containsKey("2/" + sharedId),
                "conversations 1 and 2 each have a message " + sharedId + ": " + sent.keySet());
        Path db = dir.resolve("messages.sqlite3");

        Process crashing = consumer("worker-a", db, "--crash-after", Integer.toString(CRASH_AFTER));
        assertTrue(crashing.waitFor(30, TimeUnit.SECONDS), "the crashing consumer did not exit: " + output("worker-a"));
        assertEquals(CRASHED, crashing.exitValue(), output("worker-a"));
        assertEquals(CRASH_AFTER, saved(db).size(), "saved before the crash");
        // One XREADGROUP (up to 100 a stream) gave it every entry; it acknowledged none of them.
        assertEquals(sent.size(), pending(), "entries the crashed consumer holds unacknowledged");

        Process recovering = consumer("worker-b", db);
        Await.until("every outbox entry is acknowledged", () -> pending() == 0);
        recovering.destroy(); // SIGTERM: the example finishes its batch and exits 0
        assertTrue(recovering.waitFor(30, TimeUnit.SECONDS), "the consumer ignored SIGTERM: " + output("worker-b"));
        assertEquals(0, recovering.exitValue(), output("worker-b"));

        Matcher summary = Pattern.compile("stopped: saved=(\\d+) duplicates=(\\d+) reclaimed=(\\d+)")
                .matcher(output("worker-b"));
        assertTrue(summary.find(), output("worker-b"));
        assertEquals(sent.size(), Integer.parseInt(summary.group(3)), "reclaimed from worker-a with XAUTOCLAIM");
        assertEquals(CRASH_AFTER, Integer.parseInt(summary.group(2)), "redelivered and already saved: no change");
        assertEquals(sent.size() - CRASH_AFTER, Integer.parseInt(summary.group(1)), "saved by worker-b");
        assertEquals(sent, saved(db), "the database holds every message once, as its sender saw it");
    }

    /**
     * Makes the next message of each conversation get the same {@code message_id}, as two conversations may at any
     * time (ids are unique within a conversation), by setting their sequences to one value ahead of the clock; returns
     * that id.
     */
    private long sameNextId(long... conversations) throws IOException {
        long last = ClockMessageIds.floor(System.currentTimeMillis() + 60_000);
        RedisKeys keys = new RedisKeys(PARTITIONS);
        for (long conversation : conversations) {
            String seq = new String(keys.conversation(conversation)[2], StandardCharsets.US_ASCII);
            assertEquals("+OK", redis.command("SET " + seq + " " + last));
        }
        return last + 1;
    }

    /**
     * Sends {@link #CLIENT_MESSAGES} messages from two WebSocket clients over six conversations, and two through the
     * admin API, each waited for; returns what each admitted one must be saved as, by {@link #key}.
     */
    private Map<String, Map<String, String>> sendMessages() {
        for (long conversation = 1; conversation <= 6; conversation++) {
            node.members(conversation, 1, 2);
        }
        Instant expiry = Instant.now().plusSeconds(3600);
        WsClient ann = node.connect(Map.of(
                "Authorization",
                "Bearer " + Tokens.hs256(GatewayFixture.SECRET, 1, "Ann", "https://example.com/ann.png", expiry)));
        WsClient bob = node.connect(
                Map.of("Authorization", "Bearer " + Tokens.hs256(GatewayFixture.SECRET, 2, "Bob", null, expiry)));

        Map<String, Map<String, String>> sent = new TreeMap<>();
        for (int i = 0; i < CLIENT_MESSAGES; i++) {
            long sender = 1 + i % 2;
            WsClient client = sender == 1 ? ann : bob;
            long conversation = 1 + i % 6;
            String text = "say \"hi\" ✓ " + i; // a quote and a non-ASCII character, as a chat has
            String clientMsgId = i % 3 == 0 ? "" : "tab-" + i; // some messages carry none
            client.send("{\"type\":\"TEXT\",\"conversation_id\":" + conversation + ",\"message\":\"say \\\"hi\\\" ✓ "
                    + i + "\"" + (clientMsgId.isEmpty() ? "" : ",\"client_msg_id\":\"" + clientMsgId + "\"") + "}");
            Map<String, Object> ack = acknowledgement(client, sender, text);
            put(
                    sent,
                    row(
                            (Long) ack.get("message_id"),
                            conversation,
                            text,
                            sender,
                            sender == 1 ? "Ann" : "Bob",
                            sender == 1 ? "https://example.com/ann.png" : "",
                            (String) ack.get("created_at"),
                            clientMsgId,
                            "client"));
        }
        for (long conversation = 1; conversation <= 2; conversation++) {
            var r = node.admin(
                    "POST",
                    "/api/conversations/" + conversation + "/messages",
                    "{\"sender_id\":2,\"message\":\"from the backend\",\"type\":\"TEXT\",\"sender_name\":\"Support\"}");
            assertEquals(200, r.statusCode(), r.body());
            Map<String, Object> answer = Json.parse(r.body());
            String createdAt = RFC3339_MILLIS.format(Instant.ofEpochMilli((Long) answer.get("created_at_ms")));
            put(
                    sent,
                    row(
                            (Long) answer.get("message_id"),
                            conversation,
                            "from the backend",
                            2,
                            "Support",
                            "",
                            createdAt,
                            "",
                            "admin"));
        }
        return sent;
    }

    /** The sender's own copy of {@code text}, skipping what the other member sent meanwhile. */
    private static Map<String, Object> acknowledgement(WsClient client, long sender, String text) {
        for (; ; ) {
            Map<String, Object> event = client.nextJson();
            assertEquals("TEXT", event.get("type"), event.toString());
            if (Long.valueOf(sender).equals(event.get("sender_id")) && text.equals(event.get("message"))) {
                return event;
            }
        }
    }

    /**
     * A message's identity: {@code message_id} is unique within its conversation only (docs/protocol.md), so the
     * pair is the backend's idempotency key.
     */
    private static String key(Map<String, String> row) {
        return row.get("conversation_id") + "/" + row.get("message_id");
    }

    private static void put(Map<String, Map<String, String>> rows, Map<String, String> row) {
        assertEquals(null, rows.put(key(row), row), key(row) + " twice");
    }

    /** An outbox entry's fields, as the example saves them (every value as text). */
    private static Map<String, String> row(
            long messageId,
            long conversation,
            String message,
            long sender,
            String senderName,
            String senderAvatar,
            String createdAt,
            String clientMsgId,
            String source) {
        Map<String, String> row = new TreeMap<>();
        row.put("message_id", Long.toString(messageId));
        row.put("conversation_id", Long.toString(conversation));
        row.put("type", "TEXT");
        row.put("message", message);
        row.put("sender_id", Long.toString(sender));
        row.put("sender_name", senderName);
        row.put("sender_avatar", senderAvatar);
        row.put("created_at", createdAt);
        row.put("client_msg_id", clientMsgId);
        row.put("source", source);
        return row;
    }

    /** Starts the example as consumer {@code name} of {@link #GROUP}, its output in a file of the test's own. */
    private Process consumer(String name, Path db, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                PYTHON.toString(),
                CONSUMER.toString(),
                "--redis-url",
                redis.uri(),
                "--group",
                GROUP,
                "--consumer",
                name,
                "--db",
                db.toString(),
                "--claim-idle-ms",
                "500",
                "--block-ms",
                "200"));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile())
                .start();
        consumers.add(p);
        return p;
    }

    private String output(String name) {
        try {
            return name + "'s output:\n" + Files.readString(dir.resolve(name + ".log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return name + "'s output is unreadable: " + e;
        }
    }

    /** Entries delivered to {@link #GROUP} and not acknowledged, over every partition stream. */
    private long pending() {
        try {
            long total = 0;
            for (String stream : redis.arrayReply("SMEMBERS inbox:outbox:streams")) {
                total += Long.parseLong(redis.commandLines("XPENDING " + stream + " " + GROUP, 2)
                        .get(1)
                        .substring(1));
            }
            return total;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The example's table, read by python3's own sqlite3, every column as text, by {@link #key}. */
    private Map<String, Map<String, String>> saved(Path db) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(
                        PYTHON.toString(),
                        "-c",
                        "import json, sqlite3, sys\n"
                                + "db = sqlite3.connect(sys.argv[1])\n"
                                + "db.row_factory = sqlite3.Row\n"
                                + "print(json.dumps({'rows': [dict(r) for r in db.execute('SELECT * FROM chat_message')]}))",
                        db.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, "reading " + db + ": " + out);
        Map<String, Map<String, String>> rows = new TreeMap<>();
        for (Object o : (List<?>) Json.parse(out).get("rows")) {
            Map<String, String> row = new TreeMap<>();
            ((Map<?, ?>) o).forEach((k, v) -> row.put((String) k, String.valueOf(v)));
            put(rows, row);
        }
        return rows;
    }

    /** Fails, never skips, when the example cannot run here: {@code ./test} installs what it needs. */
    private static void requirePythonRedis() throws IOException, InterruptedException {
        String missing = PYTHON + " with redis-py is needed: apt-get install python3-redis";
        if (!Files.isExecutable(PYTHON)) {
            throw new AssertionError(missing);
        }
        Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import redis")
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(missing + " (" + out.strip() + ")");
        }
    }
}
