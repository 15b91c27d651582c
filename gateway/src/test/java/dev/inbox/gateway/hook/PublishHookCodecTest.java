package dev.inbox.gateway.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inbox.testkit.Json;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The publish hook's request body and how its answers are read (the contract in docs/operations.md, "Hooks"). */
class PublishHookCodecTest {
    private static final int MAX_CHARS = 10;
    private final PublishHookCodec codec = new PublishHookCodec(MAX_CHARS);

    private static HookResponse answer(int status, String body) {
        return new HookResponse(status, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void requestCarriesEveryFieldAndTheClaimsObjectAsTheTokenHeldIt() {
        byte[] body = codec.request(
                12,
                7,
                "Ann",
                "https://cdn.example/a.png",
                "TEXT",
                "hi \"there\"",
                "c-1",
                "{\"sub\":\"7\",\"role\":[1,2]}");
        Map<String, Object> json = Json.parse(new String(body, StandardCharsets.UTF_8));
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("conversation_id", 12L);
        expected.put("sender_id", 7L);
        expected.put("sender_name", "Ann");
        expected.put("sender_avatar", "https://cdn.example/a.png");
        expected.put("type", "TEXT");
        expected.put("message", "hi \"there\"");
        expected.put("client_msg_id", "c-1");
        expected.put("claims", Map.of("sub", "7", "role", List.of(1L, 2L)));
        assertEquals(expected, json);
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(json.keySet()), "the documented field order");
    }

    @Test
    void requestWithoutKeptClaimsSendsSubNameAndPictureAndNullsForAbsentFields() {
        byte[] body = codec.request(3, 5, "Bo", null, "TEXT", "x", null, null);
        Map<String, Object> json = Json.parse(new String(body, StandardCharsets.UTF_8));
        assertEquals(Map.of("sub", "5", "name", "Bo"), json.get("claims"));
        assertTrue(json.containsKey("sender_avatar") && json.get("sender_avatar") == null);
        assertTrue(json.containsKey("client_msg_id") && json.get("client_msg_id") == null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  \r\n\t", "{}", "{\"saved\":true}", "{\"other\":{\"message\":5},\"list\":[1,{}]}"})
    void okAnswerWithoutMessageAdmitsUnchanged(String body) {
        assertEquals(PublishVerdict.admit(null), codec.answer(answer(200, body)));
        assertEquals(PublishVerdict.admit(null), codec.answer(answer(204, body)));
    }

    @Test
    void okAnswerWithMessageReplacesTheText() {
        assertEquals(PublishVerdict.admit("h***o"), codec.answer(answer(200, "{\"id\":1,\"message\":\"h***o\"}")));
        assertEquals(PublishVerdict.admit(""), codec.answer(answer(201, "{\"message\":\"\"}")));
        assertEquals(
                PublishVerdict.admit("😀".repeat(MAX_CHARS)),
                codec.answer(answer(200, "{\"message\":\"" + "😀".repeat(MAX_CHARS) + "\"}")),
                "characters are code points, as for a client's message");
    }

    /** Every 2xx answer the backend cannot have meant: unusable, so backend_unavailable, never a delivery. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "not json",
                "ok",
                "[]",
                "[{\"message\":\"x\"}]",
                "\"text\"",
                "5",
                "null",
                "{\"message\":5}",
                "{\"message\":null}",
                "{\"message\":true}",
                "{\"message\":{\"text\":\"x\"}}",
                "{\"message\":[\"x\"]}",
                "{\"message\":\"01234567890\"}",
                "{\"message\":\"a\",\"message\":\"b\"}",
                "{\"message\":\"a\"",
                "{\"message\":\"a\"} {}",
                "{\"message\":\"a\"}x",
                "{message:\"a\"}",
                "{\"message\":'a'}",
            })
    void malformedOkAnswerIsUnavailable(String body) {
        PublishVerdict v = codec.answer(answer(200, body));
        assertEquals(PublishVerdict.Kind.UNAVAILABLE, v.kind(), body);
        assertTrue(v.text().startsWith("malformed answer"), v.text());
    }

    @Test
    void invalidUtf8InTheMessageIsMalformed() {
        byte[] body = {'{', '"', 'm', 'e', 's', 's', 'a', 'g', 'e', '"', ':', '"', (byte) 0xC3, '(', '"', '}'};
        assertEquals(
                PublishVerdict.Kind.UNAVAILABLE,
                codec.answer(new HookResponse(200, body)).kind());
    }

    @Test
    void refusalCarriesTheBackendsReasonCutTo200Characters() {
        assertEquals(
                PublishVerdict.reject("spam detected"),
                codec.answer(answer(403, "{\"code\":9,\"reason\":\"spam detected\"}")));
        String longReason = "é".repeat(250);
        assertEquals(
                PublishVerdict.reject("é".repeat(PublishHookCodec.MAX_REASON_CHARS)),
                codec.answer(answer(422, "{\"reason\":\"" + longReason + "\"}")));
        String emoji = "😀".repeat(201);
        assertEquals(
                "😀".repeat(200),
                codec.answer(answer(400, "{\"reason\":\"" + emoji + "\"}")).text(),
                "cut between characters, never inside a surrogate pair");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "forbidden", "{\"reason\":5}", "{\"reason\":\"\"}", "[\"reason\"]", "{\"reason\":"})
    void refusalWithoutAUsableReasonNamesTheStatus(String body) {
        assertEquals(PublishVerdict.reject("rejected by the backend (HTTP 409)"), codec.answer(answer(409, body)));
    }

    @ParameterizedTest
    @ValueSource(ints = {100, 301, 302, 304, 500, 502, 503, 599})
    void anyOtherStatusIsUnavailable(int status) {
        PublishVerdict v = codec.answer(answer(status, "{\"message\":\"x\"}"));
        assertEquals(PublishVerdict.Kind.UNAVAILABLE, v.kind());
        assertEquals("HTTP " + status, v.text());
    }

    // ---------------------------------------------------------------- hostile answers (jqwik)

    /** Whatever a backend answers, the codec decides, never throws, and never admits an over-long text. */
    private void check(int status, byte[] body) {
        PublishVerdict v;
        try {
            v = codec.answer(new HookResponse(status, body));
        } catch (Throwable t) {
            throw new AssertionError("answer threw " + t + " for " + Arrays.toString(body), t);
        }
        switch (v.kind()) {
            case ADMIT -> {
                assertTrue(status >= 200 && status < 300);
                if (v.text() != null) {
                    assertTrue(v.text().codePointCount(0, v.text().length()) <= MAX_CHARS, v.text());
                }
            }
            case REJECT -> {
                assertTrue(status >= 400 && status < 500);
                assertTrue(v.text().codePointCount(0, v.text().length()) <= PublishHookCodec.MAX_REASON_CHARS);
            }
            case UNAVAILABLE -> assertTrue(status < 400 || status >= 500);
        }
    }

    @Property(tries = 2000)
    void arbitraryBytes(@ForAll @IntRange(min = 100, max = 599) int status, @ForAll @Size(max = 512) byte[] body) {
        check(status, body);
    }

    @Property(tries = 3000)
    void jsonShapedNoise(@ForAll("statuses") int status, @ForAll("jsonish") String body) {
        check(status, body.getBytes(StandardCharsets.UTF_8));
    }

    @Provide
    Arbitrary<Integer> statuses() {
        return Arbitraries.of(200, 204, 400, 403, 422, 500);
    }

    @Provide
    Arbitrary<String> jsonish() {
        Arbitrary<String> atoms = Arbitraries.of(
                "{",
                "}",
                "[",
                "]",
                ",",
                ":",
                "\"message\"",
                "\"reason\"",
                "\"x\"",
                "\"0123456789ab\"",
                "5",
                "-1.5e3",
                "null",
                "true",
                " ",
                "\"\\u0000\"",
                "\"\\ud83d\"",
                "\"😀\"");
        return atoms.list().ofMaxSize(24).map(parts -> String.join("", parts));
    }
}
