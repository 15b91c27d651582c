package dev.inbox.gateway.inbox;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.gateway.testing.RawWebSocket;
import dev.inbox.gateway.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Frames no client library would send, over a raw socket: each closes with the RFC 6455 code, others unharmed. */
class ProtocolViolationIT {
    private static final int TEXT = 0x1;

    private GatewayFixture gw;

    @BeforeEach
    void start() {
        gw = GatewayFixture.start();
        gw.members(1, 1, 2);
    }

    @AfterEach
    void stop() {
        gw.close();
    }

    private RawWebSocket raw() throws IOException {
        return RawWebSocket.connect(gw.server().port(), "/ws/inbox/", "Bearer " + gw.token(1));
    }

    private void assertOthersUnharmed() {
        WsClient bob = gw.connect(2);
        bob.send("{\"type\":\"TEXT\",\"conversation_id\":1,\"message\":\"still here\"}");
        assertEquals("still here", bob.nextJson().get("message"));
    }

    @Test
    void invalidUtf8ClosesWith1007() throws IOException {
        try (RawWebSocket ws = raw()) {
            ws.send(true, TEXT, new byte[]{'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}, true);
            assertEquals(1007, ws.readUntilClose().closeCode());
            assertTrue(ws.serverClosedTcp());
        }
        assertOthersUnharmed();
    }

    @Test
    void invalidUtf8SplitAcrossFragmentsClosesWith1007() throws IOException {
        try (RawWebSocket ws = raw()) {
            ws.send(false, TEXT, new byte[]{'"', (byte) 0xE2, (byte) 0x82}, true);
            ws.send(true, 0x0, new byte[]{(byte) 0x28, '"'}, true);
            assertEquals(1007, ws.readUntilClose().closeCode());
        }
        assertOthersUnharmed();
    }

    @Test
    void unmaskedClientFrameClosesWith1002() throws IOException {
        try (RawWebSocket ws = raw()) {
            ws.send(true, TEXT, "{}".getBytes(StandardCharsets.UTF_8), false);
            assertEquals(1002, ws.readUntilClose().closeCode());
        }
        assertOthersUnharmed();
    }

    @Test
    void frameOverTheMaximumClosesWith1009() throws IOException {
        try (RawWebSocket ws = raw()) {
            ws.send(true, TEXT, new byte[70_000], true);
            assertEquals(1009, ws.readUntilClose().closeCode());
        }
        assertOthersUnharmed();
    }
}
