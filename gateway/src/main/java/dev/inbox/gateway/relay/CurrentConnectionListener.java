package dev.inbox.gateway.relay;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.RedisPubSubListener;
import java.util.function.BooleanSupplier;

/**
 * Passes one pub/sub connection's messages on only while that connection is the link's current one. A connection
 * the watchdog replaced may still be subscribed in Redis until its close reaches it; a publication it brings after
 * the new connection has subscribed is a second copy of one the new connection delivers, so it is dropped. (Before
 * the replacement it is the only copy, and passes.) Runs on Lettuce's I/O thread.
 */
final class CurrentConnectionListener extends RedisPubSubAdapter<byte[], byte[]> {
    private final RedisPubSubListener<byte[], byte[]> delegate;
    private final BooleanSupplier current;

    CurrentConnectionListener(RedisPubSubListener<byte[], byte[]> delegate, BooleanSupplier current) {
        this.delegate = delegate;
        this.current = current;
    }

    @Override
    public void message(byte[] channel, byte[] message) {
        if (current.getAsBoolean()) {
            delegate.message(channel, message);
        }
    }

    @Override
    public void message(byte[] pattern, byte[] channel, byte[] message) {
        if (current.getAsBoolean()) {
            delegate.message(pattern, channel, message);
        }
    }

    @Override
    public void smessage(byte[] shardChannel, byte[] message) {
        if (current.getAsBoolean()) {
            delegate.smessage(shardChannel, message);
        }
    }
}
