// Fast tests of the client's pure logic, run in headless Chromium by ClientUnitBrowserIT (or open unit.html from
// any static server). Results: window.unitResults = [{name, ok, error}], and #results[data-done="true"].
import {
  BACKOFF_MS,
  JITTER,
  ListenerRegistry,
  TYPING_SHOWN_MS,
  TypingTracker,
  backoffDelay,
  closeAction,
} from "../inbox-client.js";

const tests = [];
const test = (name, fn) => tests.push({ name, fn });
function eq(actual, expected, what = "") {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what} expected ${e}, got ${a}`);
}

test("backoff follows the seeds' schedule at the middle of the jitter", () => {
  eq([1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, () => 0.5)), [500, 2000, 5000, 10000, 30000, 30000, 30000]);
});

test("backoff jitter spans exactly +-20% of the base", () => {
  eq(JITTER, 0.2);
  eq(backoffDelay(1, () => 0), 400, "lowest");
  eq(backoffDelay(1, () => 0.999999), 600, "highest");
  eq(backoffDelay(5, () => 0), 24000, "lowest 30 s");
  eq(backoffDelay(5, () => 0.999999), 36000, "highest 30 s");
});

test("backoff with Math.random stays within the bounds for every attempt", () => {
  for (let n = 1; n <= 12; n++) {
    const base = BACKOFF_MS[Math.min(n, 5) - 1];
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(n);
      if (d < base * 0.8 || d > base * 1.2) throw new Error(`attempt ${n}: ${d} outside ${base} +-20%`);
    }
  }
});

test("backoff takes another schedule and repeats its last step", () => {
  eq([1, 2, 3, 9].map((n) => backoffDelay(n, () => 0.5, [10, 20])), [10, 20, 20, 20]);
});

test("close codes the protocol marks 'reconnect' reconnect", () => {
  for (const code of [1000, 1001, 1005, 1006, 1011, 1012, 1013, 4000, 4002, 4499]) eq(closeAction(code), "reconnect", code);
});

test("close codes for faults a reconnect cannot fix stop", () => {
  for (const code of [1002, 1003, 1007, 1008, 1009, 1010, 4500, 4502, 4999]) eq(closeAction(code), "stop", code);
});

test("4501 asks for a new token", () => {
  eq(closeAction(4501), "token");
});

test("a listener hears only its conversation; a catch-all hears everything", () => {
  const r = new ListenerRegistry();
  const got = { one: [], two: [], all: [] };
  r.add(1, (f) => got.one.push(f.message_id));
  r.add(2, (f) => got.two.push(f.message_id));
  r.add(null, (f) => got.all.push(f.message_id));
  r.dispatch({ type: "TEXT", conversation_id: 1, message_id: 10 });
  r.dispatch({ type: "TEXT", conversation_id: 2, message_id: 11 });
  r.dispatch({ type: "TEXT", conversation_id: 3, message_id: 12 });
  r.dispatch({ type: "UNREAD", message_id: 13 });
  eq(got, { one: [10], two: [11], all: [10, 11, 12, 13] });
});

test("a conversation id given as a string still matches the frames' numbers", () => {
  const r = new ListenerRegistry();
  const got = [];
  r.add(Number("7"), (f) => got.push(f.message_id));
  r.dispatch({ type: "TEXT", conversation_id: 7, message_id: 1 });
  eq(got, [1]);
});

test("removing listeners brings the count back to zero and forgets the conversation", () => {
  const r = new ListenerRegistry();
  const offs = [];
  for (let i = 0; i < 50; i++) offs.push(r.add(i % 5, () => {}));
  eq(r.size, 50);
  eq(r.conversations().length, 5);
  offs.forEach((off) => off());
  offs.forEach((off) => off()); // twice is harmless
  eq(r.size, 0);
  eq(r.conversations(), []);
});

test("a listener that throws does not keep the others from the frame", () => {
  const r = new ListenerRegistry();
  const got = [];
  const onError = window.onerror;
  window.onerror = () => true; // the rethrown error is reported asynchronously; keep it off the console here
  r.add(1, () => {
    throw new Error("broken listener");
  });
  r.add(1, (f) => got.push(f.message_id));
  r.dispatch({ type: "TEXT", conversation_id: 1, message_id: 5 });
  setTimeout(() => (window.onerror = onError), 0);
  eq(got, [5]);
});

/** Timers under the test's control: advance(ms) runs what is due. */
function fakeClock() {
  let now = 0;
  let seq = 0;
  const due = new Map();
  return {
    setTimeout: (fn, ms) => {
      due.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (id) => due.delete(id),
    advance(ms) {
      now += ms;
      for (const [id, t] of [...due].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at <= now && due.delete(id)) t.fn();
      }
    },
  };
}

test("a sender shows as typing for 5 s after the last TYPING", () => {
  const clock = fakeClock();
  const changes = [];
  const t = new TypingTracker((c, users) => changes.push([c, users.map((u) => u.user_id)]), clock);
  t.typing({ type: "TYPING", conversation_id: 1, sender_id: 2, sender_name: "Ann" });
  eq(t.typingIn(1), [{ user_id: 2, name: "Ann" }]);
  clock.advance(TYPING_SHOWN_MS - 1000);
  t.typing({ type: "TYPING", conversation_id: 1, sender_id: 2, sender_name: "Ann" }); // extends
  clock.advance(TYPING_SHOWN_MS - 1);
  eq(t.typingIn(1).length, 1, "still typing just before 5 s after the last");
  clock.advance(1);
  eq(t.typingIn(1), []);
  eq(changes, [[1, [2]], [1, []]]);
});

test("a TEXT from the sender ends typing at once, only in that conversation", () => {
  const clock = fakeClock();
  const t = new TypingTracker(() => {}, clock);
  t.typing({ type: "TYPING", conversation_id: 1, sender_id: 2 });
  t.typing({ type: "TYPING", conversation_id: 3, sender_id: 2 });
  t.typing({ type: "TYPING", conversation_id: 1, sender_id: 4 });
  t.text({ type: "TEXT", conversation_id: 1, sender_id: 2, message_id: 9 });
  eq(t.typingIn(1).map((u) => u.user_id), [4]);
  eq(t.typingIn(3).map((u) => u.user_id), [2]);
  eq(t.typingIn(13), [], "conversation 13 is not conversation 1's prefix match");
});

test("with the browser's own timers, typing shows and a TEXT ends it", () => {
  const changes = [];
  const t = new TypingTracker((c, users) => changes.push(users.length)); // window.setTimeout, not a fake
  t.typing({ type: "TYPING", conversation_id: 1, sender_id: 2, sender_name: "Ann" });
  eq(t.typingIn(1).length, 1);
  t.text({ type: "TEXT", conversation_id: 1, sender_id: 2, message_id: 3 });
  eq(t.typingIn(1), []);
  eq(changes, [1, 0]);
  t.clear();
});

const results = [];
for (const { name, fn } of tests) {
  try {
    await fn();
    results.push({ name, ok: true, error: null });
  } catch (e) {
    results.push({ name, ok: false, error: String(e && e.stack ? e.stack : e) });
  }
}
window.unitResults = results;
const out = document.getElementById("results");
out.textContent = results.map((r) => (r.ok ? "ok   " : "FAIL ") + r.name + (r.error ? "\n     " + r.error : "")).join("\n");
out.dataset.done = "true";
