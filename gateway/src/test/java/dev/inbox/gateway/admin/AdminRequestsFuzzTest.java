package dev.inbox.gateway.admin;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** Hostile admin bodies (jqwik): only a 4xx AdminException ever comes out, and member lists stay within the bound. */
class AdminRequestsFuzzTest {
    private static final int MAX_MEMBERS = 50;
    private final AdminRequests requests = new AdminRequests(MAX_MEMBERS, 100);

    private void check(byte[] body) {
        ByteBuf buf = Unpooled.wrappedBuffer(body);
        try {
            long[] ids = requests.userIds(buf);
            assertTrue(ids.length <= MAX_MEMBERS, "member list bound");
        } catch (AdminException e) {
            assertTrue(
                    e.status().code() >= 400 && e.status().code() < 500,
                    e.status().toString());
        } catch (Throwable t) {
            throw new AssertionError("userIds threw " + t + " for " + new String(body, StandardCharsets.ISO_8859_1), t);
        }
        try {
            requests.publish(buf);
        } catch (AdminException e) {
            assertTrue(
                    e.status().code() >= 400 && e.status().code() < 500,
                    e.status().toString());
        } catch (Throwable t) {
            throw new AssertionError("publish threw " + t + " for " + new String(body, StandardCharsets.ISO_8859_1), t);
        }
    }

    @Property(tries = 3000)
    void arbitraryBytes(@ForAll @Size(max = 1024) byte[] body) {
        check(body);
    }

    @Property(tries = 3000)
    void jsonShapedNoise(@ForAll("jsonish") String body) {
        check(body.getBytes(StandardCharsets.UTF_8));
    }

    @Provide
    Arbitrary<String> jsonish() {
        Arbitrary<String> atoms = Arbitraries.of(
                "{",
                "}",
                "[",
                "]",
                ",",
                ":",
                "\"user_ids\"",
                "\"sender_id\"",
                "\"message\"",
                "\"type\"",
                "\"TEXT\"",
                "1",
                "-1",
                "0",
                "1e400",
                "9007199254740992",
                "null",
                "true",
                "\"x\"",
                "1.5",
                " ",
                "\"\\u0000\"");
        return atoms.list().ofMaxSize(60).map(l -> String.join("", l));
    }
}
