package dev.inbox.gateway.hook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs a hook request so the backend can tell it came from the gateway, and when: HMAC-SHA256, keyed with
 * {@code --hook-secret}, over {@code <timestamp>.<body>}, where the timestamp is the Unix time in seconds sent in
 * {@code X-Inbox-Timestamp}. The signature goes in {@code X-Inbox-Signature} as {@code v1=<lowercase hex>}. The
 * timestamp is signed so a recorded request cannot be replayed later: the backend refuses one older than it
 * tolerates (docs/operations.md, "Hooks"). Thread-safe.
 */
public final class HookSigner {
    public static final String TIMESTAMP_HEADER = "X-Inbox-Timestamp";
    public static final String SIGNATURE_HEADER = "X-Inbox-Signature";
    public static final String VERSION = "v1=";
    private static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;
    /** A Mac is not thread-safe; one per thread, keyed once. */
    private final ThreadLocal<Mac> macs;

    public HookSigner(byte[] secret) {
        this.key = new SecretKeySpec(secret.clone(), ALGORITHM);
        this.macs = ThreadLocal.withInitial(this::newMac);
        newMac(); // fail at start, not at the first message, if the JDK lacks HmacSHA256
    }

    /** The value of {@link #SIGNATURE_HEADER} for {@code body} sent at {@code epochSeconds}. */
    public String sign(long epochSeconds, byte[] body) {
        Mac mac = macs.get();
        mac.update(Long.toString(epochSeconds).getBytes(StandardCharsets.US_ASCII));
        mac.update((byte) '.');
        mac.update(body);
        return VERSION + HexFormat.of().formatHex(mac.doFinal());
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
