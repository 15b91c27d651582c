package dev.inbox.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.BackendStub;
import dev.inbox.testkit.BackendStub.Answer;
import dev.inbox.testkit.BackendStub.RecordedRequest;
import dev.inbox.testkit.Chromium;
import dev.inbox.testkit.Json;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/**
 * Issue 13's "done when" for the connect hook: a real browser that holds only the backend's session cookie connects.
 * Chromium signs in on the stub backend's page (an HttpOnly session cookie, as Django sets it), opens a page whose
 * script connects to the gateway on another port of the same host (cookies are not port-scoped, so the browser sends
 * it), and shows every frame it receives; the backend's connect hook tells the gateway whose cookie that is.
 */
class ConnectHookBrowserIT {
    private static final String HOOK_SECRET = "hook-secret-0123456789-abcdefghijklmn";
    private static final String SESSION = "browser-session-7f3a";
    private static final long USER = 42;

    private BackendStub backend;
    private GatewayFixture gw;

    @AfterEach
    void stop() {
        if (gw != null) {
            gw.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    /** The backend's site: a login page that sets the session cookie, the inbox page, and the connect hook. */
    private Answer site(RecordedRequest r) {
        return switch (r.path) {
            case "/login" ->
                Answer.html("<!doctype html><p>signed in</p>")
                        .withHeader("Set-Cookie", "sessionid=" + SESSION + "; Path=/; HttpOnly; SameSite=Lax");
            case "/inbox" -> Answer.html(inboxPage(gw.server().port()));
            case "/connect" -> {
                String cookie = r.header("Cookie");
                yield cookie != null && cookie.contains("sessionid=" + SESSION) && r.signatureValid
                        ? Answer.json(200, "{\"user_id\":" + USER + ",\"name\":\"Bea\",\"picture\":null}")
                        : Answer.json(401, "{\"detail\":\"not signed in\"}");
            }
            default -> Answer.status(404);
        };
    }

    /** What a front end does: one WebSocket to the gateway, with no token; every frame it gets goes into the page. */
    private static String inboxPage(int gatewayPort) {
        return """
                <!doctype html>
                <p id="state">connecting</p>
                <ul id="frames"></ul>
                <script>
                  const ws = new WebSocket("ws://127.0.0.1:%d/ws/inbox/");
                  const state = document.getElementById("state");
                  ws.onopen = () => { state.textContent = "open"; };
                  ws.onclose = (e) => { state.textContent = "closed " + e.code; };
                  ws.onmessage = (e) => {
                    const li = document.createElement("li");
                    li.textContent = e.data;
                    document.getElementById("frames").appendChild(li);
                  };
                </script>
                """.formatted(gatewayPort);
    }

    @Test
    void aBrowserWithOnlyItsSessionCookieConnectsAndGetsItsMessages() throws IOException {
        backend = BackendStub.start(HOOK_SECRET, this::site);
        String site = "http://127.0.0.1:" + backend.port();
        gw = GatewayFixture.start(
                "--jwt-secret=",
                "--connect-hook",
                backend.url("/connect").toString(),
                "--hook-secret",
                HOOK_SECRET,
                "--allowed-origins",
                site);

        try (Chromium chromium = Chromium.start()) {
            chromium.open(site + "/login").open(site + "/inbox");
            chromium.await(
                    "the page's WebSocket is open", d -> chromium.text("state").equals("open"));

            // Only user 2 and the hook's user are members: the page gets the message only as the user the hook named.
            gw.members(1, 2, USER);
            HttpResponse<String> published = gw.admin(
                    "POST", "/api/conversations/1/messages", "{\"sender_id\":2,\"message\":\"hello, browser\"}");
            assertEquals(200, published.statusCode(), published::body);
            String frame = chromium.await(
                    "the published message reaches the page",
                    d -> d.findElements(By.cssSelector("#frames li")).stream()
                            .map(li -> li.getText())
                            .filter(t -> t.contains("hello, browser"))
                            .findFirst()
                            .orElse(null));
            Map<String, Object> event = Json.parse(frame);
            assertEquals(1L, event.get("conversation_id"));
            assertEquals(2L, event.get("sender_id"));
        }

        List<RecordedRequest> asked = backend.requests("/connect");
        assertEquals(1, asked.size());
        RecordedRequest call = asked.get(0);
        assertTrue(call.header("Cookie").contains("sessionid=" + SESSION), () -> call.headers.toString());
        assertTrue(call.signatureValid);
        assertEquals(site, Json.parse(call.text()).get("origin"));
    }
}
