package dev.inbox.benchmarks.loadgen;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The reconnect storm (issue 14): {@code --users} clients of one node (dev mode, Redis behind it), every one opened
 * with {@code ?resume=1}, in group conversations with traffic flowing; then Redis drops the node's subscriber
 * connection ({@code CLIENT KILL TYPE pubsub}), so the node, once subscribed again, closes every client with 4002
 * across its {@code --redis-gap-window}; each client reconnects at once with its position and its highest
 * {@code message_id} per conversation (after {@code resume_busy}, backing off 500 ms, 1 s, 2 s, ... with jitter, as
 * the seeds' client does), while traffic goes on. Reports the replay time per client (its first {@code RESUME}
 * after the close to its {@code RESUMED}) at p50, p99 and max, the p99 of live delivery before and during the storm,
 * the {@code recovered:false} answers by reason, and checks every client ends with every message of its conversation
 * exactly once.
 *
 * <p>{@code --cause client} makes the clients the storm instead: at the same moment every one of them drops its
 * connection without a close handshake (as a load balancer's restart or a network blip drops them) and reconnects at
 * once with its position, so every reconnection starts within milliseconds; the node does not spread them.
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar dev.inbox.benchmarks.loadgen.ReconnectStorm --node
 * ws://127.0.0.1:28300/ws/inbox/ --admin http://127.0.0.1:28301 --redis 127.0.0.1:28302 [--users 1000]
 * [--group-size 10] [--rate 500] [--before 10s] [--after 10s] [--cause redis|client] [--json out.json]}. Exit 0 when every client resumed
 * and has every message once, 1 otherwise, 2 for bad flags.
 */
public final class ReconnectStorm {
    private static final JsonFactory JSON = new JsonFactory();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    private static final int BACKOFF_MILLIS = 500;
    private static final int TICK_MILLIS = 10;

    private final URI node;
    private final URI admin;
    private final InetSocketAddress redis;
    private final int users;
    private final int groupSize;
    private final double rate;
    private final Duration before;
    private final Duration after;
    /** {@code redis}: the node closes everyone with 4002; {@code client}: every client drops its connection itself. */
    private final String cause;

    private final Path json;

    private final ExecutorService io = Executors.newFixedThreadPool(4, daemon("storm-client"));
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2, daemon("storm-timer"));
    private final HttpClient http = HttpClient.newBuilder().executor(io).build();
    private final SplittableRandom random = new SplittableRandom(14);

    /** Live delivery latency (send to receipt, one clock: same JVM), micros. */
    private final Recorder liveLatency = new Recorder(3);

    /** Replay time per client, micros; guarded by itself. */
    private final Histogram replay = new Histogram(3);

    private final Map<String, AtomicInteger> notRecovered = new ConcurrentHashMap<>();
    private final AtomicInteger busy = new AtomicInteger();
    private final AtomicLong replayed = new AtomicLong();
    private final AtomicInteger closes4002 = new AtomicInteger();
    /** Connections the clients dropped themselves ({@code --cause client}). */
    private final AtomicInteger dropped = new AtomicInteger();
    /** When the first and the last client began reconnecting after the storm (before its handshake). */
    private final AtomicLong firstAttempt = new AtomicLong(Long.MAX_VALUE);

    private final AtomicLong lastAttempt = new AtomicLong();
    private final AtomicInteger otherCloses = new AtomicInteger();
    /** Closes with 1013 (try again later: a slow consumer, or resume_busy), after which the client backs off. */
    private final AtomicInteger closes1013 = new AtomicInteger();

    private final AtomicLong firstReconnect = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong lastReconnect = new AtomicLong();
    private final AtomicLong lastResumed = new AtomicLong();
    /** Per conversation: the message_ids acknowledged to their senders, and by whom. */
    private final Map<Long, Map<Long, Long>> acked = new ConcurrentHashMap<>();

    private volatile long stormAt = Long.MAX_VALUE;

    private ReconnectStorm(Map<String, String> flags) {
        this.node = URI.create(flags.getOrDefault("node", "ws://127.0.0.1:28300/ws/inbox/"));
        this.admin = URI.create(flags.getOrDefault("admin", "http://127.0.0.1:28301"));
        String[] r = flags.getOrDefault("redis", "127.0.0.1:28302").split(":");
        this.redis = new InetSocketAddress(r[0], Integer.parseInt(r[1]));
        this.users = Integer.parseInt(flags.getOrDefault("users", "1000"));
        this.groupSize = Integer.parseInt(flags.getOrDefault("group-size", "10"));
        this.rate = Double.parseDouble(flags.getOrDefault("rate", "500"));
        this.before = Duration.parse("PT" + flags.getOrDefault("before", "10s").toUpperCase(Locale.ROOT));
        this.after = Duration.parse("PT" + flags.getOrDefault("after", "10s").toUpperCase(Locale.ROOT));
        this.cause = flags.getOrDefault("cause", "redis");
        if (!cause.equals("redis") && !cause.equals("client")) {
            throw new IllegalArgumentException("--cause: " + cause + " (expected: redis or client)");
        }
        this.json = flags.containsKey("json") ? Path.of(flags.get("json")) : null;
        if (users < groupSize || users % groupSize != 0) {
            throw new IllegalArgumentException("--users: " + users + " (expected: a multiple of --group-size)");
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> flags = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                System.err.println("reconnect-storm: " + args[i] + " (expected: --flag value pairs)");
                System.exit(2);
            }
            flags.put(args[i].substring(2), args[i + 1]);
        }
        ReconnectStorm storm;
        try {
            storm = new ReconnectStorm(flags);
        } catch (RuntimeException e) {
            System.err.println("reconnect-storm: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(storm.run(System.out) ? 0 : 1);
    }

    /** One user's client: its connection now, and its place for the next resume. */
    private final class Client implements WebSocket.Listener {
        final long user;
        final long conversation;
        private volatile WebSocket ws;
        private volatile boolean live;
        /** Delivery thread only (one connection at a time). */
        private String position;

        private final Map<Long, Long> highest = new TreeMap<>();
        private final Set<Long> received = new java.util.HashSet<>();
        private final Set<Long> replayedIds = new java.util.HashSet<>();
        private int duplicates;
        /** Duplicates whose first copy came in a replay and whose second came live after the RESUMED. */
        private int seamDuplicates;

        private boolean resuming;
        private int attempt;
        /** When this client's first RESUME after the storm's close went out; 0 before it. */
        private long firstResumeAt;

        private StringBuilder partial;
        private CompletableFuture<Void> resumed = new CompletableFuture<>();
        /** The JDK allows one outstanding send per WebSocket: sends are chained; guarded by this. */
        private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null);

        private long sent;

        Client(long user, long conversation) {
            this.user = user;
            this.conversation = conversation;
        }

        CompletableFuture<Void> open() {
            live = false;
            long now = System.nanoTime();
            if (now > stormAt) {
                firstAttempt.accumulateAndGet(now, Math::min);
                lastAttempt.accumulateAndGet(now, Math::max);
            }
            URI uri = URI.create(node + "?resume=1&user_id=" + user + "&name=u" + user);
            return http.newWebSocketBuilder()
                    .connectTimeout(CONNECT_TIMEOUT)
                    .buildAsync(uri, this)
                    .handle((w, failure) -> {
                        if (failure != null) {
                            otherCloses.incrementAndGet();
                            reconnectLater();
                        }
                        return null;
                    });
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            ws = webSocket;
            StringBuilder b = new StringBuilder("{\"type\":\"RESUME\",\"position\":");
            b.append(position == null ? "null" : "\"" + position + "\"").append(",\"conversations\":[");
            String sep = "";
            for (Map.Entry<Long, Long> e : highest.entrySet()) {
                b.append(sep)
                        .append("{\"conversation_id\":")
                        .append(e.getKey())
                        .append(",\"message_id\":\"")
                        .append(e.getValue())
                        .append("\"}");
                sep = ",";
            }
            long now = System.nanoTime();
            if (now > stormAt && firstResumeAt == 0) {
                firstResumeAt = now;
                firstReconnect.accumulateAndGet(now, Math::min);
                lastReconnect.accumulateAndGet(now, Math::max);
            }
            resuming = true;
            synchronized (this) {
                lastSend = webSocket.sendText(b.append("]}").toString(), true);
            }
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            if (!last || partial != null) {
                if (partial == null) {
                    partial = new StringBuilder();
                }
                partial.append(data);
                if (!last) {
                    webSocket.request(1);
                    return null;
                }
                data = partial;
                partial = null;
            }
            frame(Frame.parse(data.toString()), System.nanoTime());
            webSocket.request(1);
            return null;
        }

        private void frame(Frame f, long at) {
            switch (f.type == null ? "" : f.type) {
                case "RESUMED" -> {
                    resuming = false;
                    if (!f.recovered && !"no_position".equals(f.reason)) {
                        notRecovered
                                .computeIfAbsent(f.reason, k -> new AtomicInteger())
                                .incrementAndGet();
                    }
                    if (f.recovered || position == null || !"failed".equals(f.reason)) {
                        position = f.position;
                        highest.clear();
                    }
                    if (firstResumeAt > 0) {
                        synchronized (replay) { // clients' delivery threads record concurrently
                            replay.recordValue(Math.max(0, (at - firstResumeAt) / 1000));
                        }
                        lastResumed.accumulateAndGet(at, Math::max);
                        firstResumeAt = -1; // measured once per client
                    }
                    attempt = 0;
                    live = true;
                    resumed.complete(null);
                }
                case "TEXT" -> {
                    highest.merge(f.conversation, f.messageId, Math::max);
                    if (f.clientMsgId != null) {
                        acked.computeIfAbsent(f.conversation, k -> new ConcurrentHashMap<>())
                                .put(f.messageId, user);
                    } else {
                        if (resuming) {
                            replayed.incrementAndGet();
                        } else if (f.sentAt > 0) {
                            liveLatency.recordValue(Math.max(0, (at - f.sentAt) / 1000));
                        }
                        if (!received.add(f.messageId)) {
                            duplicates++;
                            if (!resuming && replayedIds.contains(f.messageId)) {
                                seamDuplicates++;
                            }
                        } else if (resuming) {
                            replayedIds.add(f.messageId);
                        }
                    }
                }
                case "ERROR" -> {
                    if ("resume_busy".equals(f.code)) {
                        busy.incrementAndGet();
                    }
                }
                default -> {}
            }
        }

        /** {@code --cause client}: drops the connection without a close handshake and reconnects at once. */
        void dropAndReconnect() {
            WebSocket old = ws;
            ws = null; // what the old connection reports from now on is not this client's concern
            live = false;
            if (old != null) {
                old.abort();
                dropped.incrementAndGet();
            }
            attempt = 0;
            io.execute(this::open);
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            if (webSocket != ws) {
                return null; // a connection this client dropped itself
            }
            live = false;
            if (statusCode == 4002) {
                closes4002.incrementAndGet();
                attempt = 0;
                io.execute(this::open); // at once: the node spreads the closes over its gap window
            } else if (statusCode != WebSocket.NORMAL_CLOSURE) {
                if (statusCode == 1013) {
                    closes1013.incrementAndGet();
                } else {
                    otherCloses.incrementAndGet();
                }
                reconnectLater();
            }
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            if (webSocket != ws) {
                return; // a connection this client dropped itself
            }
            live = false;
            otherCloses.incrementAndGet();
            reconnectLater();
        }

        /** After resume_busy (1013) or a failure: back off 500 ms, 1 s, 2 s, ... up to 5 s, with full jitter. */
        private void reconnectLater() {
            long window = Math.min(5000, (long) BACKOFF_MILLIS << Math.min(attempt++, 4));
            long delay;
            synchronized (random) {
                delay = random.nextLong(window);
            }
            timer.schedule(this::open, delay, TimeUnit.MILLISECONDS);
        }

        void send() {
            WebSocket w = ws;
            if (live && w != null) {
                synchronized (this) {
                    // A client_msg_id of its own per message: a repeated one is a resend, answered, not delivered.
                    String text = "{\"type\":\"TEXT\",\"conversation_id\":" + conversation + ",\"message\":\"t"
                            + System.nanoTime() + "\",\"client_msg_id\":\"m" + user + "-" + sent++ + "\"}";
                    lastSend = lastSend.handle((x, f) -> null).thenCompose(x -> w.sendText(text, true));
                }
            }
        }
    }

    /** What the storm reads from a server frame. */
    private record Frame(
            String type,
            long conversation,
            long messageId,
            long sentAt,
            String clientMsgId,
            String position,
            boolean recovered,
            String reason,
            String code) {
        static Frame parse(String text) {
            String type = null;
            long conversation = 0;
            long messageId = 0;
            long sentAt = 0;
            String clientMsgId = null;
            String position = null;
            boolean recovered = false;
            String reason = null;
            String code = null;
            try (JsonParser p = JSON.createParser(text)) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    return new Frame(null, 0, 0, 0, null, null, false, null, null);
                }
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    JsonToken value = p.nextToken();
                    switch (name) {
                        case "type" -> type = p.getText();
                        case "conversation_id" -> conversation = p.getLongValue();
                        case "message_id" -> messageId = p.getLongValue();
                        case "message" -> sentAt = sentAt(p.getText());
                        case "client_msg_id" -> clientMsgId = p.getText();
                        case "position" -> position = value == JsonToken.VALUE_STRING ? p.getText() : null;
                        case "recovered" -> recovered = value == JsonToken.VALUE_TRUE;
                        case "reason" -> reason = p.getText();
                        case "code" -> code = p.getText();
                        default -> p.skipChildren();
                    }
                }
            } catch (IOException | NumberFormatException e) {
                return new Frame(null, 0, 0, 0, null, null, false, null, null);
            }
            return new Frame(type, conversation, messageId, sentAt, clientMsgId, position, recovered, reason, code);
        }

        /**
         * The send time in the storm's own texts ({@code t<nanoTime>}); 0 for any other text, such as an error's
         * ("too many connections are resuming...", which once made the whole frame unreadable, so resume_busy went
         * uncounted).
         */
        static long sentAt(String message) {
            if (message.length() < 2 || message.charAt(0) != 't') {
                return 0;
            }
            for (int i = 1; i < message.length(); i++) {
                if (message.charAt(i) < '0' || message.charAt(i) > '9') {
                    return 0;
                }
            }
            return Long.parseLong(message.substring(1));
        }
    }

    private boolean run(PrintStream out) throws Exception {
        List<ConversationPlan> plan = Scenario.GROUP.plan(users, groupSize, groupSize);
        new AdminClient(flagsApiKey()).setMembers(admin, plan);
        List<Client> clients = new ArrayList<>();
        for (ConversationPlan c : plan) {
            for (int m = 0; m < c.members(); m++) {
                clients.add(new Client(c.userId(m), c.id()));
            }
        }
        for (int from = 0; from < clients.size(); from += 200) {
            List<CompletableFuture<Void>> batch = new ArrayList<>();
            for (Client c : clients.subList(from, Math.min(clients.size(), from + 200))) {
                c.open();
                batch.add(c.resumed);
            }
            CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        }
        clients.forEach(c -> c.resumed = new CompletableFuture<>());
        double[] budget = {0};
        var traffic = timer.scheduleAtFixedRate(
                () -> {
                    budget[0] += rate * TICK_MILLIS / 1000.0;
                    for (; budget[0] >= 1; budget[0]--) {
                        int i;
                        synchronized (random) {
                            i = random.nextInt(clients.size());
                        }
                        clients.get(i).send();
                    }
                },
                0,
                TICK_MILLIS,
                TimeUnit.MILLISECONDS);
        String loadBefore = loadAverage();
        parkFor(before);
        Histogram steady = liveLatency.getIntervalHistogram();

        stormAt = System.nanoTime();
        String killed;
        if (cause.equals("client")) {
            clients.forEach(Client::dropAndReconnect);
            killed = "untouched (every client dropped its connection itself)";
        } else {
            killed = redisCommand("CLIENT KILL TYPE pubsub");
        }
        CompletableFuture.allOf(clients.stream().map(c -> c.resumed).toArray(CompletableFuture[]::new))
                .get(120, TimeUnit.SECONDS);
        long allBack = System.nanoTime();
        Histogram storm = liveLatency.getIntervalHistogram();
        parkFor(after);
        traffic.cancel(false);
        parkFor(Duration.ofSeconds(3)); // the last messages' deliveries (in flight, not awaited one by one)
        Histogram afterStorm = liveLatency.getIntervalHistogram();
        String loadAfter = loadAverage();

        // Exactness: every client has every message of its conversation acknowledged to another member, once.
        long missing = 0;
        long duplicates = 0;
        long seam = 0;
        List<String> examples = new ArrayList<>();
        for (Client c : clients) {
            duplicates += c.duplicates;
            seam += c.seamDuplicates;
            for (Map.Entry<Long, Long> e :
                    acked.getOrDefault(c.conversation, Map.of()).entrySet()) {
                if (e.getValue() != c.user && !c.received.contains(e.getKey())) {
                    missing++;
                    if (examples.size() < 5) {
                        examples.add("user " + c.user + " lacks " + e.getKey() + " of conversation " + c.conversation);
                    }
                }
            }
        }
        int failedResumes =
                notRecovered.values().stream().mapToInt(AtomicInteger::get).sum();
        int stormed = cause.equals("client") ? dropped.get() : closes4002.get();
        boolean passed = missing == 0 && duplicates == 0 && failedResumes == 0 && stormed >= users;

        String text = String.format(
                Locale.ROOT,
                "reconnect storm: %d users in groups of %d on %s, %.0f msgs/s throughout; Redis: %s%n"
                        + "closes: 4002 %d, dropped by the clients %d, 1013 %d, other %d; reconnection attempts spread over %.0f"
                        + " ms; handshakes completed from %.0f ms after the storm's start over %.0f ms; every client"
                        + " resumed %.0f ms after the storm's start%n"
                        + "replay time (first RESUME to RESUMED, per client): p50 %.1f ms, p99 %.1f ms, max %.1f ms;"
                        + " events replayed %d; resume_busy %d; recovered:false %s%n"
                        + "live delivery p99: before %.1f ms (n=%d), during the storm %.1f ms (n=%d), after %.1f ms"
                        + " (n=%d)%n"
                        + "exactness: %d missing, %d duplicated (%d replayed, then again live after the RESUMED)%s;"
                        + " load average %s -> %s%n%s%n",
                users,
                groupSize,
                node,
                rate,
                killed,
                closes4002.get(),
                dropped.get(),
                closes1013.get(),
                otherCloses.get(),
                (lastAttempt.get() - firstAttempt.get()) / 1e6,
                (firstReconnect.get() - stormAt) / 1e6,
                (lastReconnect.get() - firstReconnect.get()) / 1e6,
                (allBack - stormAt) / 1e6,
                replay.getValueAtPercentile(50) / 1e3,
                replay.getValueAtPercentile(99) / 1e3,
                replay.getMaxValue() / 1e3,
                replayed.get(),
                busy.get(),
                notRecovered,
                steady.getValueAtPercentile(99) / 1e3,
                steady.getTotalCount(),
                storm.getValueAtPercentile(99) / 1e3,
                storm.getTotalCount(),
                afterStorm.getValueAtPercentile(99) / 1e3,
                afterStorm.getTotalCount(),
                missing,
                duplicates,
                seam,
                examples.isEmpty() ? "" : " (" + String.join("; ", examples) + ")",
                loadBefore,
                loadAfter,
                passed ? "PASS" : "FAIL");
        out.print(text);
        if (json != null) {
            try (OutputStream o = Files.newOutputStream(json);
                    JsonGenerator g = JSON.createGenerator(o)) {
                g.writeStartObject();
                g.writeNumberField("users", users);
                g.writeNumberField("rate", rate);
                g.writeStringField("cause", cause);
                g.writeNumberField("closes_4002", closes4002.get());
                g.writeNumberField("dropped_by_clients", dropped.get());
                g.writeNumberField("closes_1013", closes1013.get());
                g.writeNumberField("closes_other", otherCloses.get());
                g.writeNumberField("attempt_spread_ms", (lastAttempt.get() - firstAttempt.get()) / 1e6);
                g.writeNumberField("reconnect_spread_ms", (lastReconnect.get() - firstReconnect.get()) / 1e6);
                g.writeNumberField("all_resumed_ms", (allBack - stormAt) / 1e6);
                g.writeNumberField("replay_p50_ms", replay.getValueAtPercentile(50) / 1e3);
                g.writeNumberField("replay_p99_ms", replay.getValueAtPercentile(99) / 1e3);
                g.writeNumberField("replay_max_ms", replay.getMaxValue() / 1e3);
                g.writeNumberField("replayed", replayed.get());
                g.writeNumberField("resume_busy", busy.get());
                g.writeNumberField("recovered_false", failedResumes);
                g.writeNumberField("live_p99_before_ms", steady.getValueAtPercentile(99) / 1e3);
                g.writeNumberField("live_p99_storm_ms", storm.getValueAtPercentile(99) / 1e3);
                g.writeNumberField("live_p99_after_ms", afterStorm.getValueAtPercentile(99) / 1e3);
                g.writeNumberField("missing", missing);
                g.writeNumberField("duplicated", duplicates);
                g.writeNumberField("duplicated_at_the_seam", seam);
                g.writeStringField("load_before", loadBefore);
                g.writeStringField("load_after", loadAfter);
                g.writeBooleanField("passed", passed);
                g.writeEndObject();
            }
        }
        io.shutdownNow();
        timer.shutdownNow();
        return passed;
    }

    private static String flagsApiKey() {
        return "dev-api-key"; // the node runs with --dev
    }

    /** One inline command to Redis, its first reply line. */
    private String redisCommand(String inline) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(redis, 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write((inline + "\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int b; (b = in.read()) >= 0 && b != '\n'; ) {
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return inline + " -> " + line;
        }
    }

    private static void parkFor(Duration d) {
        long until = System.nanoTime() + d.toNanos();
        for (long left; (left = until - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
