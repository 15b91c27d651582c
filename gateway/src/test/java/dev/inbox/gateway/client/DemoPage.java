package dev.inbox.gateway.client;

import dev.inbox.testkit.Chromium;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The demo inbox page ({@code client/demo/}) in a real headless Chromium, as a test reads and drives it: the
 * connection state element, the conversation list, the messages, the send box, and the page's client
 * ({@code window.inbox}). Every WebSocket the page constructs is recorded (time, URL, subprotocols) by a script that
 * runs before the page's own, so a test can count connections and time reconnection attempts.
 */
final class DemoPage implements AutoCloseable {
    /** Records each WebSocket construction, before it is made, in window.sockets; the page's code is unchanged. */
    static final String WATCH_SOCKETS = """
            (() => {
              const Native = window.WebSocket;
              window.sockets = [];
              window.WebSocket = class extends Native {
                constructor(url, protocols) {
                  window.sockets.push({ at: performance.now(), url: String(url), protocols: [].concat(protocols || []) });
                  super(url, protocols);
                }
              };
            })();
            """;

    final Chromium chromium;

    private DemoPage(Chromium chromium) {
        this.chromium = chromium;
    }

    /** Opens {@code http://127.0.0.1:<port>/?<query>} in a new browser. */
    static DemoPage open(int port, String query) {
        Chromium chromium = Chromium.start();
        try {
            chromium.beforeEveryPage(WATCH_SOCKETS);
            chromium.open("http://127.0.0.1:" + port + "/?" + query);
            return new DemoPage(chromium);
        } catch (RuntimeException e) {
            chromium.close();
            throw e;
        }
    }

    /** Ann, user 1, in dev mode. */
    static DemoPage ann(int port) {
        return open(port, "user_id=1&name=Ann");
    }

    String state() {
        return chromium.driver().findElement(By.id("connection")).getAttribute("data-state");
    }

    DemoPage awaitState(String state) {
        return awaitState(state, Duration.ofSeconds(10));
    }

    DemoPage awaitState(String state, Duration timeout) {
        chromium.await("data-state becomes " + state + " (is " + state() + ")", timeout, d -> state().equals(state));
        return this;
    }

    /** Opens a conversation by typing its number, as a person would for one not in the list. */
    DemoPage openConversation(long id) {
        WebElement input = chromium.driver().findElement(By.id("new-conversation"));
        input.clear();
        input.sendKeys(Long.toString(id));
        chromium.driver().findElement(By.id("open-conversation")).click();
        chromium.await(
                "conversation " + id + " is open",
                d -> Long.toString(id).equals(d.findElement(By.id("title")).getAttribute("data-conversation")));
        return this;
    }

    /** Opens a conversation from the list on the left. */
    DemoPage clickConversation(long id) {
        chromium.driver()
                .findElement(By.cssSelector("#conversations li[data-conversation='" + id + "']"))
                .click();
        chromium.await(
                "conversation " + id + " is open",
                d -> Long.toString(id).equals(d.findElement(By.id("title")).getAttribute("data-conversation")));
        return this;
    }

    DemoPage closeConversation() {
        chromium.driver().findElement(By.id("close-conversation")).click();
        chromium.await(
                "no conversation is open",
                d -> d.findElement(By.id("title")).getAttribute("data-conversation") == null);
        return this;
    }

    /** Types and sends a message in the open conversation. */
    DemoPage send(String text) {
        WebElement input = chromium.driver().findElement(By.id("message"));
        input.sendKeys(text);
        chromium.driver().findElement(By.id("send")).click();
        return this;
    }

    /** The texts shown in the open conversation, in order. */
    List<String> messages() {
        return chromium.script("return [...document.querySelectorAll('#messages li .text')].map(e => e.textContent)");
    }

    /** Waits until a message with {@code text} is shown, acknowledged (it has a message_id), and returns it. */
    WebElement awaitMessage(String text) {
        // Found in the page in one step: the page re-renders an item when its acknowledgement comes, which would make
        // an element found a moment earlier stale.
        return chromium.await(
                "'" + text + "' is shown in the open conversation",
                d -> chromium.<WebElement>script(
                        "return [...document.querySelectorAll('#messages li[data-message-id]')]"
                                + ".find(li => li.querySelector('.text')?.textContent === arguments[0]) || null",
                        text));
    }

    /** The unread badge of a conversation in the list ("" when none). */
    String unreadBadge(long id) {
        return chromium.driver()
                .findElement(By.cssSelector("#conversations li[data-conversation='" + id + "'] .unread"))
                .getText();
    }

    long listenerCount() {
        return chromium.<Number>script("return inbox.listenerCount").longValue();
    }

    /** WebSockets the page has constructed so far. */
    int socketsOpened() {
        return chromium.<Number>script("return window.sockets.length").intValue();
    }

    /** The page's WebSocket constructions: at (ms since the page started), url, protocols. */
    List<Map<String, Object>> sockets() {
        return chromium.script("return window.sockets");
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> clientState() {
        return (Map<String, Object>) chromium.script("return inbox.state");
    }

    @Override
    public void close() {
        chromium.close();
    }
}
