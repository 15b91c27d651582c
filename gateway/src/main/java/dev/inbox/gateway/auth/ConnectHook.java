package dev.inbox.gateway.auth;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import dev.inbox.gateway.hook.HookClient;
import dev.inbox.gateway.hook.HookException;
import dev.inbox.gateway.hook.HookResponse;
import dev.inbox.gateway.metrics.HookOutcome;
import dev.inbox.protocol.Ids;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Asks the backend who is connecting, for an upgrade request that brings no credential: the connect hook
 * (docs/operations.md, "The connect hook"). It POSTs {@code {"client_address","origin","user_agent","path"}}, signed by
 * the {@link HookClient}, with the request's {@code Cookie} and {@code Authorization} headers forwarded as the same
 * headers, and turns the answer into a {@link Verdict}: a 2xx naming a valid user signs them in, 401 and 403 refuse
 * with that status, anything else (another status, no answer in time, an unusable body) is {@link Unavailable}.
 * Neither header's value is ever logged or put into a message.
 *
 * <p>{@link #ask} returns at once; its future completes on an event loop (the caller's own when it asked from one),
 * so what follows must not block, and never exceptionally. Thread-safe.
 */
public final class ConnectHook {
    /** What the backend decided about one upgrade request. */
    public sealed interface Verdict permits SignedIn, Refused, Unavailable {}

    /** The backend named the user: the upgrade goes on as for a valid token. */
    public record SignedIn(AuthenticatedUser user) implements Verdict {}

    /** The backend said no: the upgrade is refused with {@code status}, 401 or 403. */
    public record Refused(int status) implements Verdict {}

    /**
     * The backend could not be asked, or answered nothing usable: 503.
     *
     * @param reason for the log only; never sent to the client, since it names the backend
     */
    public record Unavailable(String reason) implements Verdict {}

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final HookClient hook;

    public ConnectHook(HookClient hook) {
        this.hook = hook;
    }

    /**
     * Asks about an upgrade request with {@code headers} from {@code client} (null when not an IP peer) for
     * {@code path}. Runs on the event loop up to the call; the answer comes on that loop, later.
     */
    public CompletableFuture<Verdict> ask(HttpHeaders headers, InetAddress client, String path) {
        byte[] body = requestBody(
                client == null ? null : client.getHostAddress(),
                headers.get(HttpHeaderNames.ORIGIN),
                headers.get(HttpHeaderNames.USER_AGENT),
                path);
        List<String> forwarded = new ArrayList<>(4);
        forward(forwarded, "Cookie", String.join("; ", headers.getAll(HttpHeaderNames.COOKIE)));
        forward(forwarded, "Authorization", headers.get(HttpHeaderNames.AUTHORIZATION));
        return hook.post(body, forwarded.toArray(new String[0])).handle(this::verdict);
    }

    /**
     * Adds a header to forward, unless it is empty or holds what an HTTP client refuses to send (control characters:
     * the request decoder lets none through, so this is a second line), in which case the backend sees none.
     */
    private static void forward(List<String> headers, String name, String value) {
        if (value == null || value.isEmpty()) {
            return;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7F || c > 0xFF) {
                return;
            }
        }
        headers.add(name);
        headers.add(value);
    }

    private Verdict verdict(HookResponse response, Throwable failure) {
        if (failure != null) {
            Throwable cause =
                    failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            return new Unavailable(cause instanceof HookException e ? e.getMessage() : cause.toString());
        }
        if (response.ok()) {
            try {
                return new SignedIn(user(response.body()));
            } catch (MalformedAnswer e) {
                hook.meters().call(HookOutcome.MALFORMED);
                return new Unavailable(
                        "connect hook answered " + response.status() + " with an unusable body: " + e.getMessage());
            }
        }
        if (response.status() == 401 || response.status() == 403) {
            return new Refused(response.status());
        }
        return new Unavailable("connect hook answered HTTP " + response.status());
    }

    /** The request's body: four fields, each a string or null. */
    static byte[] requestBody(String clientAddress, String origin, String userAgent, String path) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("client_address", clientAddress);
            g.writeStringField("origin", origin);
            g.writeStringField("user_agent", userAgent);
            g.writeStringField("path", path);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array cannot fail to take bytes
        }
        return out.toByteArray();
    }

    /**
     * The user a 2xx answer names: {@code {"user_id":N,"name":..|null,"picture":..|null,"expires_at":S|null}}.
     * {@code user_id} is required and checked like a token's {@code sub} (a positive integer below 2^53); the others
     * may be absent; {@code expires_at} is Unix seconds, after which the connection is closed (4501); absent or null
     * means never. Other fields are ignored, so the backend may send more; a field given twice is refused.
     */
    static AuthenticatedUser user(byte[] body) throws MalformedAnswer {
        long id = 0;
        String name = null;
        String picture = null;
        long expiresAtMillis = Long.MAX_VALUE;
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new MalformedAnswer("not a JSON object");
            }
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "user_id" -> {
                        if (value != JsonToken.VALUE_NUMBER_INT) {
                            throw new MalformedAnswer("user_id is not an integer");
                        }
                        id = p.getLongValue();
                        if (!Ids.isValid(id)) {
                            throw new MalformedAnswer("user_id is not a positive integer below 2^53");
                        }
                    }
                    case "name" -> name = optionalString(p, value, field);
                    case "picture" -> picture = optionalString(p, value, field);
                    case "expires_at" -> {
                        if (value == JsonToken.VALUE_NUMBER_INT) {
                            expiresAtMillis = Math.multiplyExact(p.getLongValue(), 1000L);
                        } else if (value != JsonToken.VALUE_NULL) {
                            throw new MalformedAnswer("expires_at is not an integer (Unix seconds) or null");
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new MalformedAnswer("not one JSON object");
            }
        } catch (JsonProcessingException e) {
            throw new MalformedAnswer("not valid JSON, or a number out of range");
        } catch (ArithmeticException e) {
            throw new MalformedAnswer("expires_at out of range");
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array cannot fail to give bytes
        }
        if (id == 0) {
            throw new MalformedAnswer("no user_id");
        }
        return new AuthenticatedUser(id, name, picture, expiresAtMillis);
    }

    private static String optionalString(JsonParser p, JsonToken value, String field)
            throws MalformedAnswer, IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value != JsonToken.VALUE_STRING) {
            throw new MalformedAnswer(field + " is not a string or null");
        }
        String s = p.getText();
        return s.isEmpty() ? null : s;
    }

    /** Why a 2xx answer's body is unusable; its message names the field, never its value. */
    static final class MalformedAnswer extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedAnswer(String message) {
            super(message, null, false, false);
        }
    }
}
