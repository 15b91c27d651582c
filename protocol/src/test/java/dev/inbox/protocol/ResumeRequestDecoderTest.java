package dev.inbox.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ResumeRequestDecoderTest {
    private final ResumeRequestDecoder decoder = new ResumeRequestDecoder(2);

    private ResumeRequest decode(String json) throws ProtocolException {
        ByteBuf buf = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try {
            return decoder.decode(buf);
        } finally {
            buf.release();
        }
    }

    @Test
    void readsThePositionAndTheLastSeenIdPerConversation() throws ProtocolException {
        ResumeRequest r = decode("{\"type\":\"RESUME\",\"position\":\"e:1-0:3\",\"conversations\":["
                + "{\"conversation_id\":7,\"message_id\":\"1733450000123001\"},"
                + "{\"message_id\":1733450000123002,\"conversation_id\":8,\"extra\":[1]}],\"unknown\":{}}");
        assertEquals("e:1-0:3", r.position());
        assertEquals(Map.of(7L, 1733450000123001L, 8L, 1733450000123002L), r.lastSeen());
    }

    @Test
    void aFirstConnectionHasNoPositionAndMayListNothing() throws ProtocolException {
        ResumeRequest r = decode("{\"type\":\"RESUME\",\"position\":null}");
        assertNull(r.position());
        assertEquals(Map.of(), r.lastSeen());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "[]",
                "not json",
                "{\"type\":\"TEXT\",\"position\":null}",
                "{\"position\":null}",
                "{\"type\":\"RESUME\",\"position\":5}",
                "{\"type\":\"RESUME\",\"conversations\":{}}",
                "{\"type\":\"RESUME\",\"conversations\":[1]}",
                "{\"type\":\"RESUME\",\"conversations\":[{\"conversation_id\":1}]}",
                "{\"type\":\"RESUME\",\"conversations\":[{\"conversation_id\":0,\"message_id\":\"1\"}]}",
                "{\"type\":\"RESUME\",\"conversations\":[{\"conversation_id\":1,\"message_id\":\"-1\"}]}",
                "{\"type\":\"RESUME\",\"conversations\":[{\"conversation_id\":1,\"message_id\":\"9007199254740992\"}]}",
                "{\"type\":\"RESUME\",\"conversations\":[{\"conversation_id\":1,\"message_id\":\"1\"},"
                        + "{\"conversation_id\":1,\"message_id\":\"2\"}]}",
                "{\"type\":\"RESUME\",\"conversations\":[{\"conversation_id\":1,\"message_id\":1},"
                        + "{\"conversation_id\":2,\"message_id\":1},{\"conversation_id\":3,\"message_id\":1}]}",
                "{\"type\":\"RESUME\"} {}"
            })
    void anythingElseIsBadResume(String json) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> decode(json));
        assertEquals(ErrorCode.BAD_RESUME, e.code());
    }

    @Test
    void anOverlongPositionIsNotOne() {
        String position = "x".repeat(ResumeRequestDecoder.MAX_POSITION_CHARS + 1);
        ProtocolException e = assertThrows(
                ProtocolException.class, () -> decode("{\"type\":\"RESUME\",\"position\":\"" + position + "\"}"));
        assertEquals(ErrorCode.BAD_RESUME, e.code());
    }
}
