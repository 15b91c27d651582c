package dev.inbox.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PresenceRequestDecoderTest {
    private final PresenceRequestDecoder decoder = new PresenceRequestDecoder(3);

    private PresenceRequest decode(String json) throws ProtocolException {
        ByteBuf buf = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try {
            return decoder.decode(buf);
        } finally {
            buf.release();
        }
    }

    @Test
    void readsSubscribeAndUnsubscribeWithDuplicatesCountedOnce() throws ProtocolException {
        PresenceRequest s = decode("{\"user_ids\":[3,1,3],\"type\":\"PRESENCE_SUBSCRIBE\",\"x\":{\"y\":[1]}}");
        assertTrue(s.subscribe());
        assertArrayEquals(new long[] {3, 1}, s.userIds());
        PresenceRequest u = decode("{\"type\":\"PRESENCE_UNSUBSCRIBE\",\"user_ids\":[2]}");
        assertFalse(u.subscribe());
        assertArrayEquals(new long[] {2}, u.userIds());
    }

    @Test
    void anotherTypeIsLeftToTheMessageDecoder() throws ProtocolException {
        assertNull(decode("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"\\\"PRESENCE_SUBSCRIBE\"}"));
        assertNull(decode("[\"PRESENCE_SUBSCRIBE\"]"));
    }

    @Test
    void aRepeatedUserIdsMattersOnlyToAPresenceFrame() throws ProtocolException {
        assertNull(decode("{\"type\":\"TEXT\",\"user_ids\":[1],\"user_ids\":[2]}"));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"type\":\"PRESENCE_SUBSCRIBE\"}|missing_field",
                "{\"type\":\"PRESENCE_SUBSCRIBE\",\"user_ids\":null}|missing_field",
                "{\"type\":\"PRESENCE_SUBSCRIBE\",\"user_ids\":[]}|wrong_type",
                "{\"type\":\"PRESENCE_SUBSCRIBE\",\"user_ids\":7}|wrong_type",
                "{\"type\":\"PRESENCE_SUBSCRIBE\",\"user_ids\":[\"7\"]}|wrong_type",
                "{\"type\":\"PRESENCE_SUBSCRIBE\",\"user_ids\":[0]}|wrong_type",
                "{\"type\":\"PRESENCE_SUBSCRIBE\",\"user_ids\":[9007199254740992]}|wrong_type",
                "{\"type\":\"PRESENCE_SUBSCRIBE\",\"user_ids\":[1.5]}|wrong_type",
                "{\"type\":\"PRESENCE_SUBSCRIBE\",\"user_ids\":[1,2,3,4]}|presence_limit",
                "{\"type\":\"PRESENCE_SUBSCRIBE\",\"user_ids\":[1],\"user_ids\":[2]}|bad_frame",
                "{\"type\":\"PRESENCE_SUBSCRIBE\",\"type\":\"PRESENCE_SUBSCRIBE\",\"user_ids\":[1]}|bad_frame",
                "{\"type\":\"PRESENCE_SUBSCRIBE\",\"user_ids\":[1]} {}|bad_frame",
                "{\"type\":\"PRESENCE_SUBSCRIBE\",\"user_ids\":[1|bad_json",
            })
    void breaksOfTheRulesAreNamed(String json, String code) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> decode(json));
        assertEquals(code, e.code().wireName(), e.getMessage());
    }
}
