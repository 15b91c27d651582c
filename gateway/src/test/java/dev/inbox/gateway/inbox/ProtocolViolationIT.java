package dev.inbox.gateway.inbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.inbox.gateway.testing.GatewayFixture;
import dev.inbox.testkit.RawWebSocket;
import dev.inbox.testkit.WsClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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
            ws.send(true, TEXT, new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}, true);
            assertClosedWith(1007, ws);
        }
        assertOthersUnharmed();
    }

    @Test
    void invalidUtf8SplitAcrossFragmentsClosesWith1007() throws IOException {
        try (RawWebSocket ws = raw()) {
            ws.send(false, TEXT, new byte[] {'"', (byte) 0xE2, (byte) 0x82}, true);
            ws.send(true, 0x0, new byte[] {(byte) 0x28, '"'}, true);
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

    private static final int CONTINUATION = 0x0;
    private static final int CLOSE = 0x8;
    private static final int PING = 0x9;

    private void assertClosedWith(int code, RawWebSocket ws) throws IOException {
        assertEquals(code, ws.readUntilClose().closeCode());
        assertThrows(java.io.EOFException.class, ws::read, "one close frame, then the server closes the connection");
    }

    @Test
    void controlFrameOver125BytesClosesWith1002() throws IOException {
        try (RawWebSocket ws = raw()) {
            ws.send(true, PING, new byte[126], true); // RFC 6455 §5.5: control payloads are at most 125 bytes
            assertClosedWith(1002, ws);
        }
        assertOthersUnharmed();
    }

    @Test
    void fragmentedControlFrameClosesWith1002() throws IOException {
        try (RawWebSocket ws = raw()) {
            ws.send(false, PING, new byte[4], true); // §5.5: control frames must not be fragmented
            assertClosedWith(1002, ws);
        }
        assertOthersUnharmed();
    }

    @Test
    void continuationWithoutAStartClosesWith1002() throws IOException {
        try (RawWebSocket ws = raw()) {
            ws.send(true, CONTINUATION, "{}".getBytes(StandardCharsets.UTF_8), true);
            assertClosedWith(1002, ws);
        }
        assertOthersUnharmed();
    }

    @Test
    void reservedBitsClose1002() throws IOException {
        try (RawWebSocket ws = raw()) {
            ws.send(true, 0x40 | TEXT, "{}".getBytes(StandardCharsets.UTF_8), true); // RSV1 without an extension
            assertClosedWith(1002, ws);
        }
        assertOthersUnharmed();
    }

    @Test
    void reservedOpcodeClosesWith1002() throws IOException {
        try (RawWebSocket ws = raw()) {
            ws.send(true, 0x3, new byte[0], true); // opcodes 3-7 are reserved (§5.2)
            assertClosedWith(1002, ws);
        }
        assertOthersUnharmed();
    }

    @Test
    void invalidCloseCodeClosesWith1002() throws IOException {
        try (RawWebSocket ws = raw()) {
            ws.send(true, CLOSE, new byte[] {0x03, (byte) 0xEC}, true); // 1004 is reserved (§7.4.2)
            assertClosedWith(1002, ws);
        }
        assertOthersUnharmed();
    }

    @Test
    void newMessageInsideAFragmentedOneClosesWith1002() throws IOException {
        try (RawWebSocket ws = raw()) {
            ws.send(false, TEXT, "{\"type\":".getBytes(StandardCharsets.UTF_8), true);
            ws.send(true, TEXT, "{}".getBytes(StandardCharsets.UTF_8), true); // not a continuation (§5.4)
            assertClosedWith(1002, ws);
        }
        assertOthersUnharmed();
    }

    @Test
    void closeInTheMiddleOfAFragmentedMessageIsEchoed() throws IOException {
        try (RawWebSocket ws = raw()) {
            ws.send(false, TEXT, "{\"type\":".getBytes(StandardCharsets.UTF_8), true);
            ws.send(true, CLOSE, new byte[] {0x03, (byte) 0xE8}, true); // control frames may interleave (§5.4)
            assertClosedWith(1000, ws);
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
