package dev.inbox.gateway.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.WsClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/**
 * Typing, read receipts and presence (issue 15's frames) through the client and the demo page in Chromium: Ann is
 * the page, Bob a plain WebSocket client, both members of conversation 1 on a real dev node.
 */
class FeaturesBrowserIT {
    private GatewayFixture gw;
    private DemoPage ann;
    private WsClient bob;

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
        gw.members(1, 1, 2);
        ann = DemoPage.ann(gw.server().port()).awaitState("connected");
        ann.openConversation(1);
        bob = gw.connect("/ws/inbox/?user_id=2&name=Bob", Map.of(), List.of());
    }

    /** Bob's next frame of {@code type}, skipping others. */
    private Map<String, Object> bobGets(String type) {
        for (int i = 0; i < 20; i++) {
            Map<String, Object> f = bob.nextJson();
            if (type.equals(f.get("type"))) {
                return f;
            }
        }
        throw new AssertionError("no " + type + " among Bob's next 20 frames");
    }

    private String typingLine() {
        return ann.chromium.driver().findElement(By.id("typing")).getText();
    }

    @Test
    void typingShowsUntilTheSendersMessageAndAnnsTypingReachesBob() {
        start();
        bob.send("{\"type\":\"TYPING\",\"conversation_id\":1}");
        ann.chromium.script(
                "window.all = []; inbox.on('frame', f => all.push(f)); inbox.on('typing', t => all.push({ev: t}));");
        bob.send("{\"type\":\"TYPING\",\"conversation_id\":1}");
        try {
            ann.chromium.await("Bob is typing", d -> typingLine().equals("Bob is typing…"));
        } catch (RuntimeException e) {
            throw new AssertionError(
                    "frames: " + ann.chromium.script("return JSON.stringify(all)") + " line: " + typingLine() + " bob: "
                            + bob.pending(),
                    e);
        }
        bob.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"done typing\"}");
        ann.awaitMessage("done typing");
        ann.chromium.await("the message ends it", d -> typingLine().isEmpty());

        ann.chromium.driver().findElement(By.id("message")).sendKeys("h");
        Map<String, Object> typing = bobGets("TYPING");
        assertEquals(1L, typing.get("conversation_id"));
        assertEquals(1L, typing.get("sender_id"));
        assertEquals("Ann", typing.get("sender_name"));
    }

    @Test
    void thePageMarksWhatItShowsReadAndShowsBobsReceipts() {
        start();
        bob.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"read me\",\"client_msg_id\":\"b1\"}");
        Map<String, Object> ack = bobGets("TEXT");
        ann.awaitMessage("read me");
        Map<String, Object> read = bobGets("READ");
        assertEquals(1L, read.get("user_id"));
        assertEquals(ack.get("message_id"), read.get("message_id"));

        ann.send("did you read this?");
        String id = ann.awaitMessage("did you read this?").getAttribute("data-message-id");
        bob.send("{\"type\":\"READ\",\"conversation_id\":1,\"message_id\":" + id + "}");
        ann.chromium.await(
                "Ann's message shows read",
                d -> "true"
                        .equals(d.findElement(By.cssSelector("#messages li[data-message-id='" + id + "']"))
                                .getAttribute("data-read")));
    }

    @Test
    void aSendersDotFollowsTheirPresence() {
        start("--presence-debounce", "500ms");
        bob.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"am I online?\"}");
        ann.awaitMessage("am I online?");
        String dot = "#messages .presence[data-user='2']";
        ann.chromium.await(
                "Bob is shown online",
                d -> "online".equals(d.findElement(By.cssSelector(dot)).getAttribute("data-status")));
        bob.close();
        ann.chromium.await(
                "then offline, after the debounce",
                d -> "offline".equals(d.findElement(By.cssSelector(dot)).getAttribute("data-status")));
        assertEquals("offline", ann.chromium.script("return inbox.presenceOf(2)"));
    }
}
