package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** A replaced pub/sub connection's late publications are second copies: dropped, in every form. */
class CurrentConnectionListenerTest {

    @Test
    void messagesPassWhileTheConnectionIsCurrentAndNotAfter() {
        List<String> seen = new ArrayList<>();
        AtomicBoolean current = new AtomicBoolean(true);
        CurrentConnectionListener l = new CurrentConnectionListener(
                new RedisPubSubAdapter<>() {
                    @Override
                    public void message(byte[] channel, byte[] message) {
                        seen.add("message " + new String(message, StandardCharsets.UTF_8));
                    }

                    @Override
                    public void message(byte[] pattern, byte[] channel, byte[] message) {
                        seen.add("pmessage " + new String(message, StandardCharsets.UTF_8));
                    }

                    @Override
                    public void smessage(byte[] channel, byte[] message) {
                        seen.add("smessage " + new String(message, StandardCharsets.UTF_8));
                    }
                },
                current::get);
        byte[] ch = "inbox:u:1".getBytes(StandardCharsets.UTF_8);

        l.message(ch, "1".getBytes(StandardCharsets.UTF_8));
        l.message(ch, ch, "2".getBytes(StandardCharsets.UTF_8));
        l.smessage(ch, "3".getBytes(StandardCharsets.UTF_8));
        current.set(false); // replaced
        l.message(ch, "4".getBytes(StandardCharsets.UTF_8));
        l.message(ch, ch, "5".getBytes(StandardCharsets.UTF_8));
        l.smessage(ch, "6".getBytes(StandardCharsets.UTF_8));

        assertEquals(List.of("message 1", "pmessage 2", "smessage 3"), seen);
    }
}
