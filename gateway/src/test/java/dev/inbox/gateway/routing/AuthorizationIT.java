package dev.inbox.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.WsClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Many users, many conversations, thousands of messages, a third of them aimed at conversations the sender is not in
 * and all of them carrying forged server-owned fields: no user ever receives an event of a conversation they are not
 * a member of, every event names its real sender, and every connection gets each message it is owed exactly once.
 */
class AuthorizationIT {
    private static final int USERS = 24;
    private static final int CONVERSATIONS = 16;
    private static final int SENDS_PER_USER = 120;

    @Test
    void nobodyReceivesWhatIsNotTheirsAndEverySenderIsReal() {
        Random random = new Random(20_261_122);
        try (GatewayFixture gw = GatewayFixture.start()) {
            Map<Long, Set<Long>> members = new HashMap<>();
            for (long c = 1; c <= CONVERSATIONS; c++) {
                Set<Long> m = new HashSet<>();
                while (m.size() < 2 + random.nextInt(6)) {
                    m.add(1L + random.nextInt(USERS));
                }
                members.put(c, m);
                gw.members(c, m.stream().mapToLong(Long::longValue).toArray());
            }
            Map<Long, List<WsClient>> connections = new HashMap<>();
            for (long u = 1; u <= USERS; u++) {
                List<WsClient> mine = new ArrayList<>();
                for (int i = 0, n = 1 + random.nextInt(2); i < n; i++) {
                    mine.add(gw.connect(u));
                }
                connections.put(u, mine);
            }

            // Expected per connection: every accepted message of the user's conversations, plus an error for each
            // refused message this very connection sent.
            Map<WsClient, Integer> owed = new HashMap<>();
            connections.values().forEach(l -> l.forEach(c -> owed.put(c, 0)));
            for (int round = 0; round < SENDS_PER_USER; round++) {
                for (long u = 1; u <= USERS; u++) {
                    List<WsClient> mine = connections.get(u);
                    WsClient from = mine.get(random.nextInt(mine.size()));
                    long c = 1 + random.nextInt(CONVERSATIONS);
                    String nonce = u + "-" + round;
                    from.send("{\"type\":\"TEXT\",\"conversation_id\":" + c + ",\"message\":\"from:" + u + ":" + nonce
                            + "\",\"client_msg_id\":\"" + nonce + "\",\"sender_id\":" + (u % USERS + 1)
                            + ",\"sender_name\":\"forged\",\"message_id\":1,\"conversation\":" + (c + 1) + "}");
                    if (members.get(c).contains(u)) {
                        for (long m : members.get(c)) {
                            connections.get(m).forEach(conn -> owed.merge(conn, 1, Integer::sum));
                        }
                    } else {
                        owed.merge(from, 1, Integer::sum);
                    }
                }
            }

            int events = 0;
            for (long u = 1; u <= USERS; u++) {
                for (WsClient conn : connections.get(u)) {
                    Set<String> seen = new HashSet<>();
                    for (int i = 0, n = owed.get(conn); i < n; i++) {
                        Map<String, Object> e = conn.nextJson();
                        long c = (Long) e.get("conversation_id");
                        if ("ERROR".equals(e.get("type"))) {
                            assertEquals("not_a_member", e.get("code"));
                            assertTrue(!members.get(c).contains(u), "refused only where not a member");
                            continue;
                        }
                        assertTrue(members.get(c).contains(u), "user " + u + " got an event of conversation " + c);
                        String message = (String) e.get("message");
                        long realSender = Long.parseLong(message.split(":")[1]);
                        assertEquals(
                                realSender, e.get("sender_id"), "sender_id is the real sender, never the forged one");
                        assertEquals("User " + realSender, e.get("sender_name"));
                        assertTrue(members.get(c).contains(realSender));
                        assertTrue(seen.add(message), "exactly once: " + message);
                        events++;
                    }
                }
            }
            // Barrier: a marker into every conversation; once a connection has all of its markers, everything sent
            // before them has been written to it, so anything else left in its queue would be a leak or a duplicate.
            for (long c = 1; c <= CONVERSATIONS; c++) {
                long sender = members.get(c).iterator().next();
                assertEquals(
                        200,
                        gw.admin(
                                        "POST",
                                        "/api/conversations/" + c + "/messages",
                                        "{\"sender_id\":" + sender + ",\"message\":\"marker\",\"type\":\"TEXT\"}")
                                .statusCode());
            }
            for (long u = 1; u <= USERS; u++) {
                final long user = u;
                long mine =
                        members.values().stream().filter(m -> m.contains(user)).count();
                for (WsClient conn : connections.get(u)) {
                    for (int i = 0; i < mine; i++) {
                        assertEquals("marker", conn.nextJson().get("message"), "nothing but the markers is left");
                    }
                    assertEquals(0, conn.pending());
                }
            }
            assertTrue(events > 2 * USERS * SENDS_PER_USER / 3, "thousands of events checked: " + events);
        }
    }
}
