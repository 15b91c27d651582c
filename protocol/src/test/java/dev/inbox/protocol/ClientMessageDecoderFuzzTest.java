package dev.inbox.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.management.ThreadMXBean;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

/**
 * Hostile input, generated (jqwik properties): whatever the bytes, the decoder returns a message or throws its own
 * {@link ProtocolException}, never anything else, allocates within a bound, and leaves the frame as it found it
 * (the leak check after every test catches a buffer it would have lost). Mutations start from the seed corpus in
 * {@code src/test/resources/fuzz-corpus}.
 */
class ClientMessageDecoderFuzzTest {
    private static final int MAX_FRAME = 65_536;
    private static final String[] CORPUS = {
        "seed.json",
        "with-client-id.json",
        "unicode.json",
        "unknown-fields.json",
        "duplicate.json",
        "array.json",
        "huge-number.json",
        "wrong-types.json",
        "truncated.json",
        "nested.json"
    };
    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final ClientMessageDecoder decoder = new ClientMessageDecoder(4096, MAX_FRAME);

    /** Decodes {@code bytes} from a pooled direct buffer and checks the decoder's contract. */
    private ClientMessage decodeChecked(byte[] bytes) {
        ByteBuf frame = PooledByteBufAllocator.DEFAULT
                .directBuffer(Math.max(1, bytes.length))
                .writeBytes(bytes);
        try {
            ClientMessage m = decodeOnce(frame, bytes);
            // The allocation bound is measured on an untracked view: at PARANOID, the leak detector itself records a
            // stack trace on every access of a tracked buffer.
            ByteBuffer nio = ByteBuffer.allocateDirect(Math.max(1, bytes.length));
            nio.put(bytes).flip();
            ByteBuf untracked = Unpooled.wrappedBuffer(nio);
            for (int i = 0; i < 3; i++) {
                decodeOnce(untracked, bytes); // warm-up: class loading, first-time paths and per-thread buffers
            }
            long before = THREADS.getCurrentThreadAllocatedBytes();
            decodeOnce(untracked, bytes);
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            // Jackson's per-parse state, an error's text, a few copies of the input; rare first-time paths (an error
            // message built once, a late class load) stay well inside. Growth with the input beyond this is a bug.
            assertTrue(allocated < 128 * 1024 + 16L * bytes.length, allocated + " bytes allocated for " + bytes.length);
            assertEquals(0, frame.readerIndex(), "the frame is not consumed");
            assertEquals(1, frame.refCnt(), "the frame is not released");
            return m;
        } finally {
            frame.release();
        }
    }

    private ClientMessage decodeOnce(ByteBuf frame, byte[] bytes) {
        try {
            return decoder.decode(frame);
        } catch (ProtocolException expected) {
            return null;
        } catch (Throwable t) {
            throw new AssertionError("decoder threw " + t + " for " + printable(bytes), t);
        }
    }

    private static String printable(byte[] bytes) {
        return new String(bytes, 0, Math.min(bytes.length, 200), StandardCharsets.ISO_8859_1);
    }

    @Property(tries = 3000)
    void arbitraryBytesNeverBreakTheDecoder(@ForAll @Size(max = 2048) byte[] bytes) {
        decodeChecked(bytes);
    }

    @Property(tries = 3000)
    void arbitraryTextNeverBreakTheDecoder(@ForAll @StringLength(max = 1024) String text) {
        decodeChecked(text.getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 5000)
    void mutatedSeedsNeverBreakTheDecoder(@ForAll("mutatedSeeds") byte[] bytes) {
        decodeChecked(bytes);
    }

    @Property(tries = 1000)
    void wellFormedMessagesRoundTrip(
            @ForAll @StringLength(max = 300) String message, @ForAll("ids") long conversationId) {
        String json =
                "{\"type\":\"TEXT\",\"conversation_id\":" + conversationId + ",\"message\":" + quote(message) + "}";
        ClientMessage m = decodeChecked(json.getBytes(StandardCharsets.UTF_8));
        if (message.codePoints().anyMatch(cp -> cp >= 0xD800 && cp <= 0xDFFF)) {
            return; // a lone surrogate cannot be encoded as UTF-8: refused, which decodeChecked already allowed
        }
        assertEquals(new ClientMessage("TEXT", conversationId, message, null), m);
    }

    @Provide
    Arbitrary<Long> ids() {
        return Arbitraries.longs().between(1, Ids.MAX_SAFE);
    }

    @Provide
    Arbitrary<byte[]> mutatedSeeds() {
        List<byte[]> seeds = new ArrayList<>();
        for (String name : CORPUS) {
            try (InputStream in = getClass().getResourceAsStream("/fuzz-corpus/" + name)) {
                if (in == null) {
                    fail("missing corpus file " + name);
                }
                seeds.add(in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        Arbitrary<byte[]> seed = Arbitraries.of(seeds);
        return seed.flatMap(s -> Arbitraries.integers()
                .between(1, 8)
                .flatMap(edits -> Arbitraries.integers()
                        .between(0, Integer.MAX_VALUE)
                        .list()
                        .ofSize(edits * 3)
                        .map(r -> mutate(s, r))));
    }

    /** Applies byte flips, insertions, deletions and truncations chosen by {@code r}, three numbers an edit. */
    private static byte[] mutate(byte[] seed, List<Integer> r) {
        List<Byte> out = new ArrayList<>();
        for (byte b : seed) {
            out.add(b);
        }
        for (int i = 0; i + 2 < r.size(); i += 3) {
            int kind = r.get(i) % 4;
            int at = out.isEmpty() ? 0 : r.get(i + 1) % out.size();
            byte value = (byte) (int) r.get(i + 2);
            switch (kind) {
                case 0 -> {
                    if (!out.isEmpty()) {
                        out.set(at, value);
                    }
                }
                case 1 -> out.add(at, value);
                case 2 -> {
                    if (!out.isEmpty()) {
                        out.remove(at);
                    }
                }
                default -> {
                    while (out.size() > at) {
                        out.remove(out.size() - 1);
                    }
                }
            }
        }
        byte[] bytes = new byte[out.size()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = out.get(i);
        }
        return bytes;
    }

    private static String quote(String s) {
        return "\""
                + new String(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance()
                        .quoteAsString(s)) + "\"";
    }
}
