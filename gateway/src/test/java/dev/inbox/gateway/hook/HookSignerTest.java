package dev.inbox.gateway.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HookSignerTest {
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    /**
     * The value a backend computes with its own HMAC library: here Python's, {@code hmac.new(secret,
     * b"1700000000." + body, hashlib.sha256).hexdigest()}, so the documented recipe and the gateway agree.
     */
    @Test
    void signsTimestampDotBodyAsDocumented() {
        byte[] body = "{\"message\":\"hi\"}".getBytes(StandardCharsets.UTF_8);
        assertEquals("v1=" + PYTHON_DIGEST, new HookSigner(SECRET).sign(1_700_000_000L, body));
    }

    @Test
    void theTimestampIsPartOfWhatIsSigned() {
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        HookSigner signer = new HookSigner(SECRET);
        assertNotEquals(signer.sign(1, body), signer.sign(2, body));
    }

    private static final String PYTHON_DIGEST = "db83f0e4e9706629f99dca49c58d2ad241fcf2f0e1fd0ba50e8b5ff3a9e2dc8f";
}
