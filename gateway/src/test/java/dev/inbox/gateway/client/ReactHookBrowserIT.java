package dev.inbox.gateway.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.Chromium;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The seeds' React hook ({@code client/use-web-socket.js}) under real React 18.3.1 (its UMD production builds, a test
 * fixture in {@code react-18.3.1/}) in a real headless Chromium, against a real dev-mode node: the test app
 * ({@code react-hook/app.js}) renders one component per conversation, each calling
 * {@code useWebSocket(conversationId, onMessage)}, and shows what the hook returns in the DOM. Ann (user 1) is the
 * browser, Bob (user 2) a JDK WebSocket client. The hook and the client are the jar's own copies (static/client/,
 * what DemoFiles serves), served with the fixture by the JDK's HTTP server: module scripts need http, and the page
 * must map the hook's bare {@code "react"} import, which the gateway's fixed file list does not serve.
 */
class ReactHookBrowserIT {
    private GatewayFixture gw;
    private HttpServer files;
    private Chromium chromium;
    private WsClient bob;
    private int bobSent;

    @AfterEach
    void stop() {
        try {
            if (chromium != null) {
                assertEquals(List.of(), chromium.script("return window.pageErrors"), "errors the page logged");
            }
        } finally {
            if (chromium != null) {
                chromium.close();
            }
            if (files != null) {
                files.stop(0);
            }
            if (gw != null) {
                gw.close();
            }
        }
    }

    /** A node with conversations 1-3 of Ann and Bob, and 7 of Bob and user 3; Ann's app open with {@code query}. */
    private void start(String query) {
        gw = GatewayFixture.start("--dev");
        members();
        files = serveFixture();
        chromium = Chromium.start();
        chromium.beforeEveryPage(DemoPage.WATCH_SOCKETS);
        String ws = "ws://127.0.0.1:" + gw.server().port() + "/ws/inbox/?user_id=1&name=Ann"; // dev-mode sign-in
        chromium.open("http://127.0.0.1:" + files.getAddress().getPort() + "/react-hook/index.html?ws="
                + URLEncoder.encode(ws, StandardCharsets.UTF_8) + "&" + query);
    }

    private void members() {
        for (long c = 1; c <= 3; c++) {
            gw.members(c, 1, 2);
        }
        gw.members(7, 2, 3);
    }

    private void bobConnects() {
        bob = gw.connect("/ws/inbox/?user_id=2&name=Bob", Map.of(), List.of());
    }

    // ---- what the page shows ----

    private WebElement chat(long conversation) {
        return chromium.driver().findElement(By.cssSelector("section.chat[data-conversation='" + conversation + "']"));
    }

    private String attribute(long conversation, String name) {
        return chat(conversation).getAttribute(name);
    }

    private void awaitConnected(long conversation) {
        chromium.await(
                "conversation " + conversation + "'s component shows the connection open",
                d -> !d.findElements(By.cssSelector(
                                "section.chat[data-conversation='" + conversation + "'][data-connected='true']"))
                        .isEmpty());
    }

    /** The text of the component's lastMessage. */
    private String lastMessage(long conversation) {
        return chat(conversation).findElement(By.className("last")).getText();
    }

    /** Every frame the component's onMessage got, as type:text. */
    private List<String> heard(long conversation) {
        return chromium.script(
                "return [...document.querySelectorAll(\"section.chat[data-conversation='\" + arguments[0]"
                        + " + \"'] ol.heard li\")].map(li => li.textContent)",
                conversation);
    }

    private void awaitLastMessage(long conversation, String text) {
        chromium.await(
                "conversation " + conversation + " shows '" + text + "' as its last message (shows '"
                        + lastMessage(conversation) + "')",
                d -> lastMessage(conversation).equals(text));
    }

    private long socketsOpened() {
        return chromium.<Number>script("return window.sockets.length").longValue();
    }

    private long listenerCount() {
        return chromium.<Number>script("return inbox.listenerCount").longValue();
    }

    private void type(long conversation, String text) {
        chat(conversation).findElement(By.className("text")).sendKeys(text);
        chat(conversation).findElement(By.className("send")).click();
    }

    // ---- Bob ----

    private void bobSends(long conversation, String text) {
        bob.send("{\"type\":\"TEXT\",\"conversation_id\":" + conversation + ",\"message\":\"" + text
                + "\",\"client_msg_id\":\"bob-" + (++bobSent) + "\"}");
        Map<String, Object> ack = bob.nextJson();
        assertEquals("bob-" + bobSent, ack.get("client_msg_id"), ack::toString);
    }

    // ---- the tests ----

    @Test
    void twoComponentsShareOneWebSocketAndEachHearsOnlyItsConversation() {
        start("open=1,2");
        awaitConnected(1);
        awaitConnected(2);
        assertEquals(1, gw.server().connectionCount(), "two hooks, one connection on the node");
        assertEquals(1, socketsOpened());
        assertEquals("", attribute(1, "data-error"));

        bobConnects();
        bobSends(1, "for one");
        awaitLastMessage(1, "for one");
        assertEquals(List.of("TEXT:for one"), heard(1));
        bobSends(2, "for two");
        awaitLastMessage(2, "for two");
        assertEquals(List.of("TEXT:for two"), heard(2), "conversation 1's message never reached 2's component");
        assertEquals(List.of("TEXT:for one"), heard(1), "nor 2's message 1's");
        assertEquals("1", chat(1).findElement(By.className("last")).getAttribute("data-conversation"));
        assertEquals(2, gw.server().connectionCount(), "Ann's one and Bob's");
    }

    @Test
    void sendMessageReachesTheOtherUserWithItsConversationId() {
        start("open=1,2");
        awaitConnected(2);
        bobConnects();
        type(2, "hello from the hook");
        Map<String, Object> got = bob.nextJson();
        assertEquals("TEXT", got.get("type"), got::toString);
        assertEquals(2L, got.get("conversation_id"));
        assertEquals(1L, got.get("sender_id"));
        assertEquals("hello from the hook", got.get("message"));
        // Ann's own message comes back to her component as the acknowledgement, and only to conversation 2's.
        awaitLastMessage(2, "hello from the hook");
        assertEquals(List.of(), heard(1));
    }

    @Test
    void aRefusedMessageTheCallerIgnoresIsShownAndNotAnUnhandledRejection() {
        start("open=1,7");
        awaitConnected(7);
        type(7, "not mine to send"); // Ann is not a member of 7; the seeds' caller ignores sendMessage's result
        chromium.await(
                "conversation 7 shows the ERROR",
                d -> "not_a_member"
                        .equals(chat(7).findElement(By.className("last")).getAttribute("data-code")));
        assertEquals("true", attribute(7, "data-connected"), "an ERROR frame is not a connection error");
        assertEquals(List.of(), heard(1));
        // stop() asserts that the page logged no unhandled rejection (the refused send's promise).
    }

    @Test
    void unmountingOneComponentRemovesItsListenersAndKeepsTheSharedConnection() {
        start("open=1,2");
        awaitConnected(1);
        awaitConnected(2);
        long before = listenerCount();
        chat(1).findElement(By.className("close")).click();
        chromium.await(
                "conversation 1's component is gone",
                d -> d.findElements(By.cssSelector("section.chat[data-conversation='1']"))
                        .isEmpty());
        assertEquals(before - 2, listenerCount(), "its conversation listener and its state listener");
        assertEquals("true", attribute(2, "data-connected"));
        assertEquals(1, gw.server().connectionCount(), "the node still has Ann's one connection");
        assertEquals(1, socketsOpened());

        bobConnects();
        bobSends(1, "to the closed one");
        bobSends(2, "to the open one");
        awaitLastMessage(2, "to the open one");
        assertEquals(List.of("TEXT:to the open one"), heard(2));
        assertEquals(1, socketsOpened());

        // The last hook to go closes the connection (the seeds' disconnectGlobalWebSocket) and leaves nothing behind.
        chat(2).findElement(By.className("close")).click();
        GatewayFixture.await(
                "the node closes Ann's connection", () -> gw.server().connectionCount() == 1);
        assertEquals(0, listenerCount());
        assertEquals(1, socketsOpened());
    }

    /**
     * An app that remounts its chat window per conversation ({@code <Chat key={id}>}): React runs the old component's
     * cleanup before the new one's effect, so the hook count touches zero in between. Switching conversations must
     * still open no new WebSocket (the seeds' checklist).
     */
    @Test
    void remountingTheChatForAnotherConversationKeepsTheConnection() {
        start("open=1,2,3&keyed=1");
        awaitConnected(1);
        for (long c : new long[] {2, 3, 1, 2}) {
            chromium.driver()
                    .findElement(By.cssSelector("button.open[data-conversation='" + c + "']"))
                    .click();
            awaitConnected(c);
        }
        assertEquals(1, socketsOpened(), () -> "the page constructed " + chromium.script("return window.sockets"));
        assertEquals(1, gw.server().connectionCount());
        bobConnects();
        bobSends(2, "after switching");
        awaitLastMessage(2, "after switching");
        assertEquals(1, socketsOpened());
    }

    @Test
    void retryAfterTheErrorStateReconnects() {
        // One attempt after a drop, then the error state (the seeds: after ten; fewer keeps the test short).
        start("open=1,2&maxAttempts=1&backoffMs=100");
        awaitConnected(1);
        int port = gw.server().port();
        gw.close(); // the node goes away
        gw = null;
        chromium.await(
                "the retry button is shown",
                Duration.ofSeconds(15),
                d -> !d.findElements(By.cssSelector("section.chat[data-conversation='1'] button.retry"))
                        .isEmpty());
        assertEquals("false", attribute(1, "data-connected"));
        assertEquals("false", attribute(1, "data-connecting"));
        assertTrue(!attribute(1, "data-error").isEmpty(), "the error is shown");
        assertEquals(attribute(1, "data-error"), attribute(2, "data-error"), "every component sees the one state");
        long socketsBefore = socketsOpened();

        gw = GatewayFixture.start("--dev", "--port", Integer.toString(port));
        members();
        chat(1).findElement(By.className("retry")).click();
        awaitConnected(1);
        awaitConnected(2);
        assertEquals("", attribute(1, "data-error"));
        assertEquals(socketsBefore + 1, socketsOpened(), "retry opened one new WebSocket");
        assertEquals(1, gw.server().connectionCount());
        bobConnects();
        bobSends(1, "after retry");
        awaitLastMessage(1, "after retry");
    }

    /**
     * Serves the fixture (react-18.3.1/, react-hook/, from the test class path) and the client (/client/, the jar's
     * static/client/), nothing else.
     */
    private static HttpServer serveFixture() {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            String resource = path.contains("..")
                    ? null
                    : path.startsWith("/client/")
                            ? "static" + path
                            : path.startsWith("/react-18.3.1/") || path.startsWith("/react-hook/")
                                    ? path.substring(1)
                                    : null;
            try (InputStream in = resource == null
                    ? null
                    : ReactHookBrowserIT.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                byte[] body = in.readAllBytes();
                exchange.getResponseHeaders()
                        .set("Content-Type", path.endsWith(".js") ? "text/javascript" : "text/html; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            } finally {
                exchange.close();
            }
        });
        server.start();
        return server;
    }
}
