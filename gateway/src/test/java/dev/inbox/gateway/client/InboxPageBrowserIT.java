package dev.inbox.gateway.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.WsClient;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;

/**
 * The seeds' Testing Checklist, one test a line, with the demo page and its client in a real headless Chromium
 * against a real dev-mode node (which serves the page): Ann (user 1) is the browser, Bob (user 2) a plain WebSocket
 * client. Conversations are closed ones with their members set through the admin API, so who gets what is decided
 * by the node, not by the order of first sends.
 */
class InboxPageBrowserIT {
    private GatewayFixture gw;
    private DemoPage ann;
    private WsClient bob;
    /** Bob's messages so far: each gets its own client_msg_id (a repeated one would be taken for a resend). */
    private int bobSent;

    @AfterEach
    void stop() {
        if (ann != null) {
            ann.close();
        }
        if (gw != null) {
            gw.close();
        }
    }

    private void start(String... flags) {
        List<String> all = new java.util.ArrayList<>(List.of("--dev"));
        all.addAll(List.of(flags));
        gw = GatewayFixture.start(all.toArray(new String[0]));
        for (long c = 1; c <= 4; c++) {
            gw.members(c, 1, 2);
        }
        ann = DemoPage.ann(gw.server().port()).awaitState("connected");
        bob = gw.connect("/ws/inbox/?user_id=2&name=Bob", Map.of(), List.of());
    }

    private void bobSends(long conversation, String text) {
        bob.send("{\"type\":\"TEXT\",\"conversation_id\":" + conversation + ",\"message\":\"" + text
                + "\",\"client_msg_id\":\"bob-" + (++bobSent) + "\"}");
        // Deliveries of others' messages may come first; the acknowledgement is the one with Bob's client_msg_id.
        for (int skipped = 0; ; skipped++) {
            Map<String, Object> frame = bob.nextJson();
            if ("TYPING".equals(frame.get("type")) || "READ".equals(frame.get("type"))) {
                assertTrue(skipped < 20, "no acknowledgement among twenty frames");
                continue; // Ann's page announces her typing and reads
            }
            assertEquals("TEXT", frame.get("type"), frame::toString);
            if (("bob-" + bobSent).equals(frame.get("client_msg_id"))) {
                assertEquals(text, frame.get("message"));
                return;
            }
            assertTrue(skipped < 10, "no acknowledgement among ten frames");
        }
    }

    /**
     * The next TEXT Bob gets. The page announces Ann's typing and reads as she uses it, so TYPING and READ frames may
     * come first; anything else is a failure (Bob sends nothing but TEXT and asks for nothing).
     */
    private Map<String, Object> bobReceives() {
        for (int skipped = 0; ; skipped++) {
            Map<String, Object> frame = bob.nextJson();
            if ("TYPING".equals(frame.get("type")) || "READ".equals(frame.get("type"))) {
                assertTrue(skipped < 20, "no TEXT among twenty typing and read frames");
                continue;
            }
            assertEquals("TEXT", frame.get("type"), frame::toString);
            return frame;
        }
    }

    /** The README's promise: a dev node, the page at / in two tabs, two people chatting. */
    @Test
    void twoTabsAtTheRootAreTwoPeopleWhoChat() {
        gw = GatewayFixture.start("--dev");
        ann = DemoPage.open(gw.server().port(), "");
        WebDriver browser = ann.chromium.driver();
        ann.chromium.await(
                "the first tab signs in as Ann", d -> d.getCurrentUrl().endsWith("/?user_id=1&name=Ann"));
        ann.awaitState("connected");
        String annTab = browser.getWindowHandle();
        browser.switchTo().newWindow(WindowType.TAB);
        browser.get("http://127.0.0.1:" + gw.server().port() + "/");
        ann.chromium.await(
                "the second tab signs in as Bob", d -> d.getCurrentUrl().endsWith("/?user_id=2&name=Bob"));
        ann.awaitState("connected");
        String bobTab = browser.getWindowHandle();

        // In dev mode sending joins an open conversation: each says hi first, as the page's hint says.
        browser.switchTo().window(annTab);
        ann.openConversation(9).send("hi, Ann here");
        ann.awaitMessage("hi, Ann here");
        browser.switchTo().window(bobTab);
        ann.openConversation(9).send("hi, Bob here");
        ann.awaitMessage("hi, Bob here");
        browser.switchTo().window(annTab);
        ann.awaitMessage("hi, Bob here");
        ann.send("how are you?");
        browser.switchTo().window(bobTab);
        ann.awaitMessage("how are you?");
        assertEquals(2, gw.server().connectionCount());
    }

    // - [ ] Single user can open multiple conversations
    @Test
    void oneUserOpensSeveralConversationsOnItsOneConnection() {
        start();
        for (long c = 1; c <= 3; c++) {
            ann.openConversation(c).send("Ann in " + c);
            ann.awaitMessage("Ann in " + c);
            assertEquals(c, bobReceives().get("conversation_id"));
        }
        // The client holds several conversations' listeners at once, too, not only the one the page shows.
        ann.chromium.script(
                "window.got = {1: [], 2: [], 3: []};" + "for (const c of [1, 2, 3]) inbox.subscribe(c, f => {"
                        + " if (f.type === 'TEXT') window.got[c].push(f.message); });");
        bobSends(3, "to three");
        bobSends(1, "to one");
        bobSends(2, "to two");
        ann.chromium.await(
                "each listener got its conversation's message",
                d -> ann.chromium.<Boolean>script("return got[1].length + got[2].length + got[3].length === 3"));
        assertEquals(
                Map.of("1", List.of("to one"), "2", List.of("to two"), "3", List.of("to three")),
                ann.chromium.script("return got"));
        assertEquals(1, gw.server().connectionCount() - 1, "Ann's one connection beside Bob's");
    }

    // - [ ] Messages route to correct conversation
    @Test
    void messagesRouteToTheirConversation() {
        start();
        ann.openConversation(1);
        bobSends(2, "for two");
        bobSends(1, "for one");
        ann.awaitMessage("for one");
        assertEquals(List.of("for one"), ann.messages(), "conversation 2's message is not shown in 1");
        ann.chromium.await(
                "conversation 2 has one unread", d -> ann.unreadBadge(2).equals("1"));
        assertEquals("", ann.unreadBadge(1));

        ann.clickConversation(2);
        ann.awaitMessage("for two");
        assertEquals(List.of("for two"), ann.messages());
    }

    // - [ ] Switching conversations doesn't create new WebSocket
    @Test
    void switchingConversationsOpensNoNewWebSocket() {
        start();
        int connections = gw.server().connectionCount();
        for (int round = 0; round < 3; round++) {
            for (long c = 1; c <= 4; c++) {
                ann.openConversation(c);
            }
        }
        ann.clickConversation(2).clickConversation(1).closeConversation().clickConversation(3);
        assertEquals(1, ann.socketsOpened(), () -> "the page constructed " + ann.sockets());
        assertEquals(connections, gw.server().connectionCount());
    }

    // - [ ] Connection survives conversation switches
    @Test
    void theConnectionSurvivesConversationSwitches() {
        start();
        ann.openConversation(1).send("before switching");
        ann.awaitMessage("before switching");
        bobReceives();
        for (long c : new long[] {2, 3, 4, 2, 1, 3}) {
            ann.openConversation(c);
        }
        ann.send("after switching");
        ann.awaitMessage("after switching");
        Map<String, Object> got = bobReceives();
        assertEquals(3L, got.get("conversation_id"));
        bobSends(3, "answer after switching");
        ann.awaitMessage("answer after switching");
        assertEquals("connected", ann.state());
        assertEquals(0L, ((Number) ann.clientState().get("attempts")).longValue());
        assertEquals(1, ann.socketsOpened());
    }

    // - [ ] Reconnection maintains all conversation subscriptions
    @Test
    void reconnectionKeepsEveryConversationsSubscription() {
        start();
        ann.openConversation(1);
        ann.chromium.script(
                "window.two = []; inbox.subscribe(2, f => { if (f.type === 'TEXT') two.push(f.message); });");
        int port = gw.server().port();

        gw.close(); // the node goes away: Ann's page reconnects with backoff
        bob = null;
        ann.awaitState("reconnecting");
        gw = GatewayFixture.start("--dev", "--port", Integer.toString(port));
        gw.members(1, 1, 2);
        gw.members(2, 1, 2);
        ann.awaitState("connected", java.time.Duration.ofSeconds(20));
        assertTrue(ann.socketsOpened() >= 2);
        bob = gw.connect("/ws/inbox/?user_id=2&name=Bob", Map.of(), List.of());

        bobSends(2, "two after the reconnect");
        bobSends(1, "one after the reconnect");
        ann.awaitMessage("one after the reconnect");
        ann.chromium.await(
                "conversation 2's listener still hears it",
                d -> ann.chromium.<Boolean>script("return two.includes('two after the reconnect')"));
        // A new node (in-memory feed) cannot replay what the old one had: the client says so instead of pretending.
        assertEquals(1, gw.server().connectionCount() - 1);
    }

    // - [ ] Error handling works across all conversations
    @Test
    void aRefusedMessageFailsInItsConversationAndTheOthersCarryOn() {
        start();
        gw.members(7, 2, 3); // Ann is not a member of 7
        ann.openConversation(7).send("not mine to send");
        WebElement failed = ann.chromium.await(
                "the message is marked failed",
                d -> d.findElements(By.cssSelector("#messages li.failed")).stream()
                        .findFirst()
                        .orElse(null));
        assertEquals("not_a_member", failed.getAttribute("data-error"));
        assertEquals("connected", ann.state(), "an ERROR frame is not a connection error");

        ann.openConversation(1).send("still fine here");
        ann.awaitMessage("still fine here");
        assertEquals(1L, bobReceives().get("conversation_id"));

        // While the connection is down, sends in several conversations wait and all go out after the reconnect.
        int port = gw.server().port();
        gw.close();
        bob = null;
        ann.awaitState("reconnecting");
        ann.send("queued in one");
        ann.openConversation(2).send("queued in two");
        assertEquals(
                2L, ann.chromium.<Number>script("return inbox.pendingCount").longValue());
        gw = GatewayFixture.start("--dev", "--port", Integer.toString(port));
        gw.members(1, 1, 2);
        gw.members(2, 1, 2);
        ann.awaitState("connected", java.time.Duration.ofSeconds(20));
        ann.awaitMessage("queued in two");
        ann.chromium.await(
                "both queued messages are acknowledged",
                d -> ann.chromium.<Number>script("return inbox.pendingCount").longValue() == 0);
    }

    // - [ ] Retry button reconnects successfully
    @Test
    void theRetryButtonReconnects() {
        // Every text frame spends a token (InboxFrameHandler), the page's RESUME and UNREAD too: a burst of 3 leaves
        // one for the flood's first message, and room for "after retry" on the next connection.
        start("--rate-limit", "5", "--rate-burst", "3");
        assertFalse(ann.chromium.driver().findElement(By.id("retry")).isDisplayed());
        // Flooding past the rate limit as many times in a row as the burst: closed with 1008, a client fault that
        // reconnecting does not fix, so the client stops and shows the error state with its Retry button.
        ann.chromium.script("window.outcomes = [];"
                + "for (let i = 0; i < 10; i++) inbox.send(1, 'flood ' + i).then(() => outcomes.push('ok'),"
                + " e => outcomes.push(e.code));");
        ann.awaitState("error");
        assertEquals(1008L, ((Number) ann.clientState().get("lastCloseCode")).longValue());
        ann.chromium.await(
                "every send settled",
                d -> ann.chromium.<Number>script("return outcomes.length").intValue() == 10);
        List<String> outcomes = ann.chromium.script("return outcomes");
        assertTrue(outcomes.contains("rate_limited"), outcomes::toString);
        assertTrue(outcomes.contains("disconnected"), outcomes::toString);
        WebElement retry = ann.chromium.driver().findElement(By.id("retry"));
        assertTrue(retry.isDisplayed());
        assertEquals(1, ann.socketsOpened(), "no automatic reconnection after 1008");

        retry.click();
        ann.awaitState("connected");
        assertFalse(retry.isDisplayed());
        assertEquals(2, ann.socketsOpened());
        ann.openConversation(1).send("after retry");
        ann.awaitMessage("after retry");
    }

    /** A frame the node would close the connection for (1009) is refused by the client before it is sent. */
    @Test
    void aMessageOverTheFrameLimitIsRefusedWithoutLosingTheConnection() {
        start();
        ann.chromium.script("inbox.send(1, 'x'.repeat(70000)).catch(e => { window.sendError = e.code; });");
        ann.chromium.await("the send is refused", d -> ann.chromium.script("return window.sendError") != null);
        assertEquals("frame_too_large", ann.chromium.script("return window.sendError"));
        ann.openConversation(1).send("still connected");
        ann.awaitMessage("still connected");
        assertEquals("connected", ann.state());
        assertEquals(1, ann.socketsOpened());
    }

    // - [ ] No memory leaks when opening/closing conversations
    @Test
    void openingAndClosingConversationsLeavesNoListenerBehind() {
        start();
        long atStart = ann.listenerCount();
        for (int round = 0; round < 5; round++) {
            for (long c = 1; c <= 10; c++) {
                ann.openConversation(c);
                assertEquals(atStart + 1, ann.listenerCount(), "one listener for the open conversation");
            }
            ann.closeConversation();
            assertEquals(atStart, ann.listenerCount());
        }
        assertEquals(
                0L, ann.chromium.<Number>script("return inbox.pendingCount").longValue());
    }

    // - [ ] Backend receives `conversation_id` in messages
    @Test
    void theNodeGetsTheConversationIdOfEveryMessageSent() {
        start();
        ann.openConversation(4).send("which conversation?");
        WebElement shown = ann.awaitMessage("which conversation?");
        Map<String, Object> got = bobReceives();
        assertEquals(4L, got.get("conversation_id"));
        assertEquals(1L, got.get("sender_id"));
        assertEquals("Ann", got.get("sender_name"));
        assertEquals(
                shown.getAttribute("data-message-id"), got.get("message_id").toString());
    }

    // - [ ] Backend sends `conversation_id` in messages
    @Test
    void everyMessageTheNodeSendsCarriesItsConversationId() {
        start();
        ann.chromium.script("window.texts = []; inbox.on('frame', f => { if (f.type === 'TEXT') texts.push(f); });");
        HttpResponse<String> published =
                gw.admin("POST", "/api/conversations/4/messages", "{\"sender_id\":2,\"message\":\"from the backend\"}");
        assertEquals(200, published.statusCode(), published::body);
        bobSends(3, "from Bob");
        ann.chromium.await(
                "both reach the page",
                d -> ann.chromium.<Number>script("return texts.length").intValue() == 2);
        List<Map<String, Object>> texts = ann.chromium.script("return texts");
        assertEquals(4L, texts.get(0).get("conversation_id"));
        assertEquals(3L, texts.get(1).get("conversation_id"));
        ann.clickConversation(4);
        assertEquals(List.of("from the backend"), ann.messages());
    }
}
