package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RelayEnvelopeTest {
    /** A text frame of two bytes of JSON: FIN + text opcode, length 2, then {@code {}}. */
    private static final byte[] FRAME = {(byte) 0x81, 0x02, '{', '}'};

    @Test
    void headerIsVersionThenThreeBigEndianLongsThenTheFrameUntouched() {
        ByteBuf frame = Unpooled.wrappedBuffer(FRAME);
        byte[] envelope = RelayEnvelope.encode(0x0102030405060708L, 42, 1_767_225_600_123L, frame);

        // 01 | origin 0102030405060708 | conversation 000000000000002a | accepted 0000019b76daa87b | frame 8102 7b7d
        assertEquals(
                "01" + "0102030405060708" + "000000000000002a" + "0000019b76daa87b" + "81027b7d",
                ByteBufUtil.hexDump(envelope));
        assertEquals(0, frame.readerIndex(), "the frame is read in place, not consumed");
        assertEquals(4, frame.readableBytes());
    }

    @Test
    void fieldsReadBackAsWritten() {
        byte[] envelope = RelayEnvelope.encode(-7L, Long.MAX_VALUE, 1_767_225_600_123L, Unpooled.wrappedBuffer(FRAME));

        assertTrue(RelayEnvelope.isValid(envelope));
        assertEquals(-7L, RelayEnvelope.origin(envelope));
        assertEquals(Long.MAX_VALUE, RelayEnvelope.conversationId(envelope));
        assertEquals(1_767_225_600_123L, RelayEnvelope.acceptedAtMillis(envelope));
        ByteBuf view = RelayEnvelope.frameOf(envelope);
        try {
            assertArrayEquals(FRAME, ByteBufUtil.getBytes(view));
        } finally {
            view.release();
        }
    }

    @Test
    void headerAloneOrAnotherVersionIsNotAnEnvelope() {
        byte[] envelope = RelayEnvelope.encode(1, 2, 3, Unpooled.wrappedBuffer(FRAME));
        assertFalse(RelayEnvelope.isValid(Arrays.copyOf(envelope, RelayEnvelope.HEADER_BYTES)), "no frame");
        byte[] future = envelope.clone();
        future[0] = 4;
        assertFalse(RelayEnvelope.isValid(future), "a kind this node does not read");
        future[0] = 0;
        assertFalse(RelayEnvelope.isValid(future), "no kind at all");
        assertFalse(RelayEnvelope.isValid("inbox".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void typingAndReadEnvelopesCarryTheirKindAndTheFrameUntouched() {
        byte[] typing = RelayEnvelope.encode(RelayEnvelope.TYPING, 1, 2, 3, Unpooled.wrappedBuffer(FRAME));
        byte[] read = RelayEnvelope.encode(RelayEnvelope.READ, 1, 2, 3, Unpooled.wrappedBuffer(FRAME));
        assertTrue(RelayEnvelope.isValid(typing) && RelayEnvelope.isValid(read));
        assertEquals(RelayEnvelope.TYPING, RelayEnvelope.kind(typing));
        assertEquals(RelayEnvelope.READ, RelayEnvelope.kind(read));
        assertEquals(
                RelayEnvelope.VERSION,
                RelayEnvelope.kind(RelayEnvelope.encode(1, 2, 3, Unpooled.wrappedBuffer(FRAME))));
        assertEquals(2, RelayEnvelope.conversationId(typing));
        ByteBuf view = RelayEnvelope.frameOf(read);
        try {
            assertArrayEquals(FRAME, ByteBufUtil.getBytes(view));
        } finally {
            view.release();
        }
    }

    /** What the script writes to a node's channel: the kind plus 16, the header, the recipients, ';', the frame. */
    private static byte[] addressed(byte[] envelope, String recipients) {
        byte[] list = (recipients + ";").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[envelope.length + list.length];
        System.arraycopy(envelope, 0, out, 0, RelayEnvelope.HEADER_BYTES);
        out[0] += RelayEnvelope.ADDRESSED;
        System.arraycopy(list, 0, out, RelayEnvelope.HEADER_BYTES, list.length);
        System.arraycopy(
                envelope,
                RelayEnvelope.HEADER_BYTES,
                out,
                RelayEnvelope.HEADER_BYTES + list.length,
                envelope.length - RelayEnvelope.HEADER_BYTES);
        return out;
    }

    @Test
    void anAddressedEnvelopeListsItsRecipientsAndKeepsItsKindAndFrame() {
        byte[] read = addressed(
                RelayEnvelope.encode(RelayEnvelope.READ, 7, 42, 3, Unpooled.wrappedBuffer(FRAME)),
                "12,3,999999999999999999");
        assertTrue(RelayEnvelope.isValid(read));
        assertTrue(RelayEnvelope.addressed(read));
        assertEquals(RelayEnvelope.READ, RelayEnvelope.kind(read));
        assertEquals(7, RelayEnvelope.origin(read));
        assertEquals(42, RelayEnvelope.conversationId(read));
        assertArrayEquals(new long[] {12, 3, 999_999_999_999_999_999L}, RelayEnvelope.recipients(read));
        ByteBuf view = RelayEnvelope.frameOf(read);
        try {
            assertArrayEquals(FRAME, ByteBufUtil.getBytes(view));
        } finally {
            view.release();
        }
        byte[] message = addressed(RelayEnvelope.encode(1, 2, 3, Unpooled.wrappedBuffer(FRAME)), "5");
        assertEquals(RelayEnvelope.VERSION, RelayEnvelope.kind(message));
        assertArrayEquals(new long[] {5}, RelayEnvelope.recipients(message));
        assertFalse(RelayEnvelope.addressed(RelayEnvelope.encode(1, 2, 3, Unpooled.wrappedBuffer(FRAME))));
    }

    @Test
    void anAddressedEnvelopeWithoutAListOrAFrameIsNotOne() {
        byte[] plain = RelayEnvelope.encode(1, 2, 3, Unpooled.wrappedBuffer(FRAME));
        byte[] noEnd = plain.clone();
        noEnd[0] += RelayEnvelope.ADDRESSED;
        assertFalse(RelayEnvelope.isValid(noEnd), "no ';' anywhere");
        byte[] noFrame = Arrays.copyOf(addressed(plain, "5"), RelayEnvelope.HEADER_BYTES + 2);
        assertFalse(RelayEnvelope.isValid(noFrame), "the list, then nothing");
        for (String list : new String[] {"", ",5", "5,", "5,,6", "0", "x", "1234567890123456789"}) {
            assertEquals(null, RelayEnvelope.recipients(addressed(plain, list)), "'" + list + "' is not a list");
        }
    }
}
