package dev.inbox.gateway.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.Tokens;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/**
 * The client's reconnection, beyond the checklist, in a real Chromium: the seeds' schedule observed against a port
 * where nothing listens, the attempt limit and the error state, the 5 s timeout against a listener that never
 * answers the upgrade, and 4501 leading to a new token. The page is served by a real node; its WebSocket goes where
 * the test points it ({@code ?ws=}).
 */
class ReconnectBrowserIT {
    /** Slack on top of the jitter for what is not the delay: a refused connect, timers, the browser's own work. */
    private static final double SLACK_MS = 750;

    private GatewayFixture gw;
    private GatewayFixture second;
    private DemoPage page;
    private ServerSocket silent;

    @AfterEach
    void stop() throws IOException {
        if (page != null) {
            page.close();
        }
        if (gw != null) {
            gw.close();
        }
        if (second != null) {
            second.close();
        }
        if (silent != null) {
            silent.close();
        }
    }

    /** A loopback port where nothing listens (bound, then released): every connect is refused at once. */
    private static int deadPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static double at(Map<String, Object> socket) {
        return ((Number) socket.get("at")).doubleValue();
    }

    @Test
    void attemptsFollowTheSeedsScheduleAgainstAStoppedNode() throws IOException {
        gw = GatewayFixture.start("--dev");
        int dead = deadPort();
        page = DemoPage.open(gw.server().port(), "user_id=1&name=Ann&ws=ws://127.0.0.1:" + dead + "/ws/inbox/");
        // The first connection and four reconnections: 500 ms, 2 s, 5 s, 10 s after each failure (+-20%).
        page.chromium.await("five attempts", Duration.ofSeconds(30), d -> page.socketsOpened() >= 5);
        List<Map<String, Object>> sockets = page.sockets();
        double[] bases = {500, 2000, 5000, 10000};
        for (int i = 1; i <= 4; i++) {
            double gap = at(sockets.get(i)) - at(sockets.get(i - 1));
            double base = bases[i - 1];
            int n = i;
            assertTrue(
                    gap >= base * 0.8 && gap <= base * 1.2 + SLACK_MS,
                    () -> "attempt " + (n + 1) + " came " + gap + " ms after the previous (expected " + base
                            + " ms +-20%)");
        }
        // The fifth failure (right after the fifth attempt) schedules the next one 30 s later, and every later one.
        page.chromium.await(
                "five failed attempts", d -> ((Number) page.clientState().get("attempts")).intValue() == 5);
        double next = ((Number) page.clientState().get("nextAttemptInMs")).doubleValue();
        assertTrue(next >= 24000 && next <= 36000, () -> "next attempt in " + next + " ms");
        assertEquals("reconnecting", page.state());
        assertFalse(page.chromium.driver().findElement(By.id("retry")).isDisplayed(), "no Retry before the limit");
    }

    @Test
    void afterTenFailedAttemptsTheClientStopsInTheErrorStateAndRetryConnects() throws IOException {
        gw = GatewayFixture.start("--dev");
        int dead = deadPort();
        // The same logic on a 20 ms schedule, so the limit is reached in a second rather than three minutes.
        page = DemoPage.open(
                gw.server().port(), "user_id=1&name=Ann&backoff_ms=20&ws=ws://127.0.0.1:" + dead + "/ws/inbox/");
        page.awaitState("error", Duration.ofSeconds(20));
        assertEquals(11, page.socketsOpened(), "the first connection and ten reconnections, no more");
        String error = (String) page.clientState().get("lastError");
        assertTrue(error.contains("after 10 attempts"), error);
        assertTrue(page.chromium.text("error").contains("after 10 attempts"));
        assertTrue(page.chromium.driver().findElement(By.id("retry")).isDisplayed());

        second = GatewayFixture.start("--dev", "--port", Integer.toString(dead));
        page.chromium.driver().findElement(By.id("retry")).click();
        page.awaitState("connected");
        assertEquals(12, page.socketsOpened());
        assertEquals(1, second.server().connectionCount());
    }

    @Test
    void anUpgradeUnansweredFor5SecondsIsAbandonedAndRetried() throws IOException {
        gw = GatewayFixture.start("--dev");
        // Accepts TCP and reads nothing, answers nothing: the upgrade request hangs.
        silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        List<Socket> held = new CopyOnWriteArrayList<>();
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    held.add(silent.accept());
                }
            } catch (IOException closed) {
                // the test is over
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        page = DemoPage.open(
                gw.server().port(), "user_id=1&name=Ann&ws=ws://127.0.0.1:" + silent.getLocalPort() + "/ws/inbox/");
        page.chromium.await("a second attempt", Duration.ofSeconds(15), d -> page.socketsOpened() >= 2);
        List<Map<String, Object>> sockets = page.sockets();
        double gap = at(sockets.get(1)) - at(sockets.get(0));
        // 5 s timeout, then the first backoff step (500 ms +-20%).
        assertTrue(gap >= 5000 + 400 && gap <= 5000 + 600 + SLACK_MS, () -> "second attempt after " + gap + " ms");
        String error = (String) page.clientState().get("lastError");
        assertTrue(error.contains("no connection within 5000 ms"), error);
        assertFalse(held.isEmpty(), "the browser did reach the listener");
    }

    @Test
    void aTokenExpiredWhileConnectedIsRenewedThroughGetToken() {
        gw = GatewayFixture.start("--demo-page", "true");
        // Valid long enough for the browser to start and connect (seconds on a busy machine), then expiring.
        String first = Tokens.hs256(GatewayFixture.SECRET, 1, Duration.ofSeconds(10));
        String fresh = Tokens.hs256(GatewayFixture.SECRET, 1, Duration.ofHours(1));
        page = DemoPage.open(gw.server().port(), "#token=" + first);
        page.awaitState("connected");
        // The app's new token: the demo's getToken reads it from the fragment (which reloads nothing).
        page.chromium.script("location.hash = 'token=' + arguments[0]", fresh);

        page.chromium.await(
                "closed with 4501 and reconnected",
                Duration.ofSeconds(25),
                d -> page.socketsOpened() == 2 && page.state().equals("connected"));
        assertEquals(4501L, ((Number) page.clientState().get("lastCloseCode")).longValue());
        List<Map<String, Object>> sockets = page.sockets();
        assertEquals(List.of("inbox.v1", "inbox.token." + first), sockets.get(0).get("protocols"));
        assertEquals(List.of("inbox.v1", "inbox.token." + fresh), sockets.get(1).get("protocols"));
        for (Map<String, Object> s : sockets) {
            String url = (String) s.get("url");
            assertFalse(url.contains(first) || url.contains(fresh), "the token is never in the URL: " + url);
        }
        assertEquals(1, gw.server().connectionCount());
    }
}
