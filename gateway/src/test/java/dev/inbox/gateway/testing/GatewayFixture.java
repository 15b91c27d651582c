package dev.inbox.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.inbox.gateway.config.ConfigException;
import dev.inbox.gateway.config.ConfigLoader;
import dev.inbox.gateway.server.InboxServer;
import dev.inbox.testkit.Await;
import dev.inbox.testkit.GatewayProcess;
import dev.inbox.testkit.Tokens;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * One real gateway node in this JVM on free ports, configured through the same flags a user passes, with a real
 * HTTP client for its admin API and the JDK WebSocket client for its public port.
 */
public final class GatewayFixture implements AutoCloseable {
    public static final String SECRET = "test-secret-0123456789-abcdefghijklmnop";
    public static final String API_KEY = "test-api-key-0123456789";

    private final InboxServer server;
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<WsClient> clients = new ArrayList<>();

    private GatewayFixture(InboxServer server) {
        this.server = server;
    }

    /** A node with a JWT secret and an API key; {@code flags} add to or override those. */
    public static GatewayFixture start(String... flags) {
        List<String> args = new ArrayList<>(GatewayProcess.onLoopback(
                "--jwt-secret",
                SECRET,
                "--api-key",
                API_KEY,
                "--worker-threads",
                "4",
                // Tests drive many connections and messages from one address at test speed; LimitsIT sets its own.
                "--rate-limit",
                "1000000",
                "--rate-burst",
                "1000000",
                "--max-handshakes-per-ip",
                "1000000"));
        // The NIO execution in gateway/pom.xml runs the routing and relay tests again on the fallback transport.
        String transport = System.getProperty("inbox.transport");
        if (transport != null && !transport.isEmpty()) {
            args.add("--transport");
            args.add(transport);
        }
        args.addAll(Arrays.asList(flags));
        try {
            return new GatewayFixture(InboxServer.start(ConfigLoader.load(args.toArray(new String[0]), Map.of())));
        } catch (ConfigException e) {
            throw new AssertionError("fixture configuration: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    public InboxServer server() {
        return server;
    }

    public HttpClient http() {
        return http;
    }

    public URI ws(String pathAndQuery) {
        return URI.create("ws://127.0.0.1:" + server.port() + pathAndQuery);
    }

    public URI publicHttp(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
    }

    public String token(long userId) {
        return Tokens.hs256(SECRET, userId, Duration.ofHours(1));
    }

    /** Connects {@code userId} with a token in the Authorization header. */
    public WsClient connect(long userId) {
        return connect(Map.of("Authorization", "Bearer " + token(userId)));
    }

    public WsClient connect(Map<String, String> headers) {
        return connect("/ws/inbox/", headers, List.of());
    }

    public WsClient connect(String pathAndQuery, Map<String, String> headers, List<String> subprotocols) {
        try {
            WsClient c = WsClient.connect(http, ws(pathAndQuery), headers, subprotocols);
            clients.add(c);
            return c;
        } catch (WsClient.Refused e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }

    /** Tries to connect and returns the HTTP status of the refusal; fails if the upgrade succeeds. */
    public WsClient.Refused refused(String pathAndQuery, Map<String, String> headers, List<String> subprotocols) {
        try {
            WsClient c = WsClient.connect(http, ws(pathAndQuery), headers, subprotocols);
            c.close();
            throw new AssertionError("the upgrade was accepted");
        } catch (WsClient.Refused e) {
            return e;
        }
    }

    /** Calls the admin API; {@code withKey} false sends no Authorization header. */
    public HttpResponse<String> admin(String method, String path, String body, boolean withKey) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.adminPort() + path))
                .timeout(WsClient.WAIT)
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (withKey) {
            b.header("Authorization", "Bearer " + API_KEY);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(method + " " + path + " failed", e);
        }
    }

    public HttpResponse<String> admin(String method, String path, String body) {
        return admin(method, path, body, true);
    }

    /** Sets a conversation's members through the admin API. */
    public void members(long conversationId, long... userIds) {
        StringBuilder b = new StringBuilder("{\"user_ids\":[");
        for (int i = 0; i < userIds.length; i++) {
            b.append(i == 0 ? "" : ",").append(userIds[i]);
        }
        HttpResponse<String> r = admin(
                "PUT",
                "/api/conversations/" + conversationId + "/members",
                b.append("]}").toString());
        assertEquals(200, r.statusCode(), r.body());
    }

    /** The status code of {@code GET /readyz}. */
    public int readyz() {
        return admin("GET", "/readyz", null, false).statusCode();
    }

    /** Waits until {@code /readyz} answers 200 (a clustered node has reached Redis). */
    public GatewayFixture awaitReady() {
        await("the node is ready", () -> readyz() == 200);
        return this;
    }

    /** Waits, with a bound, until {@code condition} holds. */
    public static void await(String what, BooleanSupplier condition) {
        Await.until(what, condition);
    }

    @Override
    public void close() {
        for (WsClient c : clients) {
            c.close();
        }
        server.close();
    }
}
