package dev.inbox.gateway.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.protocol.RedisCommand;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Where and when {@link RedisScript#run} hands a reply over, with a connection that stands in for Lettuce's: it
 * completes a command on its own decoding thread, as Lettuce's {@code CommandHandler} does, and may do so before
 * {@code dispatch} has returned.
 */
class RedisScriptTest {
    private static final byte[][] KEYS = {"inbox:{c:1}:state".getBytes(StandardCharsets.US_ASCII)};
    private static final byte[][] NO_ARGS = {};

    /**
     * The reply is decoded before dispatch has returned (the caller was paused longer than the round trip). It is
     * handed over on the decoding thread, before what that thread decodes next, not later on the caller's: a
     * callback attached to the future once the command was sent would have run on the caller's thread, after it.
     */
    @Test
    void aReplyDecodedBeforeDispatchReturnsIsHandedOverBeforeWhatIsDecodedNext() {
        List<String> handedOver = new CopyOnWriteArrayList<>();
        StatefulConnection<byte[], byte[]> answersAtOnce = connection(command -> decodeOnThreadOfItsOwn(() -> {
            command.complete();
            handedOver.add("the next publication");
        }));

        new RedisScript("return {}")
                .run(
                        answersAtOnce,
                        null,
                        KEYS,
                        NO_ARGS,
                        (reply, failure) -> handedOver.add(
                                "the reply, on " + Thread.currentThread().getName()));

        assertEquals(List.of("the reply, on decoder", "the next publication"), handedOver);
    }

    /** Refused at once (the queue is full): the failure is handed over once, on the caller's thread. */
    @Test
    void aCommandRefusedAtOnceIsHandedOverOnceAsAFailure() {
        List<String> handedOver = new CopyOnWriteArrayList<>();
        StatefulConnection<byte[], byte[]> full = connection(command -> {
            throw new RedisException("Request queue size exceeded");
        });

        new RedisScript("return {}")
                .run(
                        full,
                        null,
                        KEYS,
                        NO_ARGS,
                        (reply, failure) -> handedOver.add(reply + " " + failure.getMessage() + " on "
                                + Thread.currentThread().getName()));

        assertEquals(
                List.of("null Request queue size exceeded on "
                        + Thread.currentThread().getName()),
                handedOver);
    }

    /** A connection whose only ability is {@code dispatch}, which hands the command to {@code decoder}. */
    @SuppressWarnings("unchecked")
    private static StatefulConnection<byte[], byte[]> connection(Consumer<RedisCommand<?, ?, ?>> decoder) {
        return (StatefulConnection<byte[], byte[]>) Proxy.newProxyInstance(
                RedisScriptTest.class.getClassLoader(),
                new Class<?>[] {StatefulConnection.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("dispatch") && args[0] instanceof RedisCommand<?, ?, ?> command) {
                        decoder.accept(command);
                        return command;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private static void decodeOnThreadOfItsOwn(Runnable decoding) {
        Thread decoder = new Thread(decoding, "decoder");
        decoder.start();
        try {
            decoder.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
