// The inbox gateway's browser client: one WebSocket per signed-in user for all conversations (docs/protocol.md).
// Plain ES module, no dependencies, no build step. Types: inbox-client.d.ts. Guide: README.md beside this file.

/** The seeds' reconnection schedule: the delay before attempt n is BACKOFF_MS[min(n, 5) - 1], jittered. */
export const BACKOFF_MS = Object.freeze([500, 2000, 5000, 10000, 30000]);
/** Each delay is drawn from [base x (1 - JITTER), base x (1 + JITTER)], so clients dropped together spread out. */
export const JITTER = 0.2;
/** Attempts in a row before the client gives up and reports the error state (the seeds: up to 10). */
export const MAX_ATTEMPTS = 10;
/** An attempt whose WebSocket has not opened in this time is abandoned and counts as failed (the seeds: 5 s). */
export const CONNECT_TIMEOUT_MS = 5000;
/** How long "Ann is typing" lasts after her last TYPING (frames15 contract: 5 s, or until her next TEXT). */
export const TYPING_SHOWN_MS = 5000;
/** The client sends at most one TYPING per conversation this often (the server coalesces to --typing-interval). */
export const TYPING_SEND_INTERVAL_MS = 2000;
/** How long reads() and unread() wait for their answer before rejecting with code "timeout". */
export const ANSWER_TIMEOUT_MS = 10000;
/** The gateway's default frame limit (--max-frame-bytes): a bigger frame is closed with 1009, so it is refused here. */
export const MAX_FRAME_BYTES = 65536;
/** The subprotocol the gateway selects; the token rides beside it as inbox.token.<jwt>, never in the URL. */
export const SUBPROTOCOL = "inbox.v1";

/** The delay in ms before reconnection attempt {@code attempt} (1-based). {@code random} returns [0, 1). */
export function backoffDelay(attempt, random = Math.random, schedule = BACKOFF_MS) {
  const base = schedule[Math.min(Math.max(attempt, 1), schedule.length) - 1];
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

/**
 * What to do after the server closed with {@code code} (docs/protocol.md, "Close codes"): "reconnect" (with backoff,
 * then resume), "token" (4501: ask the app for a new token, then reconnect) or "stop" (a client or credential fault
 * that reconnecting cannot fix). 1006 is the browser's "closed without a close frame": a network fault, reconnect.
 */
export function closeAction(code) {
  if (code === 4501) return "token";
  if (code >= 4500 && code <= 4999) return "stop";
  if (code >= 4000 && code <= 4499) return "reconnect";
  switch (code) {
    case 1002: // protocol violation
    case 1003:
    case 1007: // not UTF-8
    case 1008: // kept flooding
    case 1009: // too big
    case 1010:
      return "stop";
    default:
      return "reconnect"; // 1000, 1001 drain, 1005, 1006, 1011, 1012, 1013 slow consumer, 1014...
  }
}

/**
 * Listeners per conversation plus listeners for everything: the seeds' globalMessageListeners, filtered here once
 * instead of in every listener.
 */
export class ListenerRegistry {
  #byConversation = new Map();
  #all = new Set();

  /** Adds {@code fn} for events of {@code conversationId} (null: every event); returns the function removing it. */
  add(conversationId, fn) {
    if (conversationId === null || conversationId === undefined) {
      this.#all.add(fn);
      return () => this.#all.delete(fn);
    }
    const id = Number(conversationId);
    let set = this.#byConversation.get(id);
    if (!set) this.#byConversation.set(id, (set = new Set()));
    set.add(fn);
    return () => {
      const s = this.#byConversation.get(id);
      if (s && s.delete(fn) && s.size === 0) this.#byConversation.delete(id);
    };
  }

  /** Calls every listener of the frame's conversation, then every catch-all listener; a throwing one is reported. */
  dispatch(frame) {
    const set = frame.conversation_id === undefined ? undefined : this.#byConversation.get(frame.conversation_id);
    if (set) for (const fn of [...set]) safely(fn, frame);
    for (const fn of [...this.#all]) safely(fn, frame);
  }

  /** Listeners registered now: back to its start when every subscriber unsubscribed (the checklist's "no leak"). */
  get size() {
    let n = this.#all.size;
    for (const s of this.#byConversation.values()) n += s.size;
    return n;
  }

  /** Conversations with at least one listener. */
  conversations() {
    return [...this.#byConversation.keys()];
  }
}

/**
 * Who is typing where: shown for TYPING_SHOWN_MS after the sender's last TYPING, or until a TEXT from the sender in
 * that conversation. {@code onChange(conversationId, users)} is called whenever a conversation's list changes.
 */
export class TypingTracker {
  #timers = new Map(); // "conversation:user" -> { timer, user }
  #onChange;
  #setTimeout;
  #clearTimeout;

  constructor(onChange, { setTimeout: st = globalThis.setTimeout, clearTimeout: ct = globalThis.clearTimeout } = {}) {
    this.#onChange = onChange;
    // Called as plain functions: window.setTimeout called as a method of another object throws "Illegal invocation".
    this.#setTimeout = (fn, ms) => st(fn, ms);
    this.#clearTimeout = (id) => ct(id);
  }

  /** A TYPING frame from the server. */
  typing(frame) {
    const key = frame.conversation_id + ":" + frame.sender_id;
    const old = this.#timers.get(key);
    if (old) this.#clearTimeout(old.timer);
    const timer = this.#setTimeout(() => this.#stop(frame.conversation_id, key), TYPING_SHOWN_MS);
    this.#timers.set(key, { timer, user: { user_id: frame.sender_id, name: frame.sender_name ?? null } });
    if (!old) this.#onChange(frame.conversation_id, this.typingIn(frame.conversation_id));
  }

  /** A TEXT frame: its sender stops typing there. */
  text(frame) {
    const key = frame.conversation_id + ":" + frame.sender_id;
    const old = this.#timers.get(key);
    if (old) {
      this.#clearTimeout(old.timer);
      this.#stop(frame.conversation_id, key);
    }
  }

  #stop(conversationId, key) {
    if (this.#timers.delete(key)) this.#onChange(conversationId, this.typingIn(conversationId));
  }

  /** Users typing in {@code conversationId} now: [{user_id, name}]. */
  typingIn(conversationId) {
    const prefix = conversationId + ":";
    const users = [];
    for (const [key, entry] of this.#timers) if (key.startsWith(prefix)) users.push(entry.user);
    return users;
  }

  clear() {
    for (const { timer } of this.#timers.values()) this.#clearTimeout(timer);
    this.#timers.clear();
  }
}

function safely(fn, arg) {
  try {
    fn(arg);
  } catch (e) {
    // One broken listener must not starve the others, nor kill the socket's message handler.
    setTimeout(() => {
      throw e;
    });
  }
}

let tabCounter = 0;

/**
 * One connection for one signed-in user. Construct, subscribe, {@link #connect}; see inbox-client.d.ts for every
 * option, method and event.
 */
export class InboxClient {
  #url;
  #token;
  #getToken;
  #WebSocket;
  #random;
  #resume;
  #maxAttempts;
  #connectTimeoutMs;
  #backoffMs;
  #maxFrameBytes;

  #ws = null;
  #connectTimer = null;
  #retryTimer = null;
  #closedByUser = true;
  #state = { status: "closed", attempts: 0, lastError: null, lastCloseCode: null };
  #conversations = new ListenerRegistry();
  #events = new Map(); // event name -> Set of fns
  #pending = new Map(); // client_msg_id -> { frame, resolve, reject }
  #msgPrefix = "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6) + "-" + tabCounter++ + "-";
  #msgCounter = 0;
  /** The last RESUMED frame's position token (opaque), and the highest message_id seen per conversation since. */
  #position = null;
  #seen = new Map();
  #resumed = false;
  #presenceWatched = new Set();
  #presence = new Map();
  #lastTypingSent = new Map();
  #typing;
  #waiters = { READS: [], UNREAD: [] };

  /**
   * @param {import("./inbox-client").InboxClientOptions} options
   */
  constructor(options) {
    const o = options || {};
    this.#url = o.url || defaultUrl();
    this.#token = o.token ?? null;
    this.#getToken = o.getToken ?? null;
    this.#WebSocket = o.WebSocket ?? globalThis.WebSocket;
    this.#random = o.random ?? Math.random;
    this.#resume = o.resume ?? true;
    this.#maxAttempts = o.maxAttempts ?? MAX_ATTEMPTS;
    this.#connectTimeoutMs = o.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    this.#backoffMs = o.backoffMs ?? BACKOFF_MS;
    this.#maxFrameBytes = o.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.#typing = new TypingTracker((conversationId, users) =>
      this.#emit("typing", { conversation_id: conversationId, users }),
    );
  }

  // ---- connection ----

  /** Opens the connection (idempotent). Resolves nothing: watch {@link #state} or the "state" event. */
  connect() {
    if (!this.#closedByUser) return;
    this.#closedByUser = false;
    this.#state.attempts = 0;
    this.#open("connecting");
  }

  /** Closes for good (1000): pending sends are rejected, no reconnection. */
  close() {
    this.#closedByUser = true;
    this.#clearTimers();
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      detach(ws);
      ws.close(1000, "client closed");
    }
    this.#typing.clear();
    this.#rejectPending(new InboxError("closed", "the client was closed"));
    this.#setState({ status: "closed" });
  }

  /** Gives up waiting and tries again now, with a fresh attempt count: the Retry button. */
  retry() {
    this.#clearTimers();
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      detach(ws);
      ws.close(1000, "retry");
    }
    this.#closedByUser = false;
    this.#state.attempts = 0;
    this.#open("connecting");
  }

  /** A copy of the connection state: {status, attempts, lastError, lastCloseCode}. */
  get state() {
    return { ...this.#state };
  }

  /** Whether a socket is open now. */
  get isConnected() {
    return this.#state.status === "connected";
  }

  async #open(status) {
    this.#setState({ status });
    let token = this.#token;
    if (token === null && this.#getToken) {
      try {
        token = this.#token = await this.#getToken({ reason: "connect" });
      } catch (e) {
        this.#failedAttempt("getToken failed: " + errorText(e), null);
        return;
      }
      if (this.#closedByUser || this.#ws) return; // closed or retried while the app fetched the token
    }
    const protocols = token ? [SUBPROTOCOL, "inbox.token." + token] : [SUBPROTOCOL];
    let ws;
    try {
      ws = new this.#WebSocket(this.#resume ? withResume(this.#url) : this.#url, protocols);
    } catch (e) {
      this.#failedAttempt("cannot open " + this.#url + ": " + errorText(e), null);
      return;
    }
    this.#ws = ws;
    this.#resumed = false;
    this.#connectTimer = setTimeout(() => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      detach(ws);
      ws.close();
      this.#failedAttempt("no connection within " + this.#connectTimeoutMs + " ms", null);
    }, this.#connectTimeoutMs);
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      clearTimeout(this.#connectTimer);
      this.#connectTimer = null;
      if (this.#resume) {
        const conversations = [...this.#seen].map(([conversation_id, message_id]) => ({ conversation_id, message_id }));
        ws.send(JSON.stringify({ type: "RESUME", position: this.#position, conversations }));
      } else {
        this.#afterSync();
      }
      this.#setState({ status: "connected", attempts: 0, lastError: null });
    };
    ws.onmessage = (e) => {
      if (this.#ws === ws) this.#receive(e.data);
    };
    let opened = false;
    ws.addEventListener("open", () => (opened = true));
    ws.onclose = (e) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      clearTimeout(this.#connectTimer);
      this.#connectTimer = null;
      // A refused upgrade (401 for an expired token among others) reaches a browser only as 1006 before open: with
      // getToken, the next attempt asks for a fresh token rather than retrying a stale one ten times.
      if (!opened && this.#getToken) this.#token = null;
      this.#closed(e.code, e.reason);
    };
    ws.onerror = () => {}; // always followed by close, which decides
  }

  #closed(code, reason) {
    this.#typing.clear();
    const action = closeAction(code);
    const what = "closed (" + code + (reason ? ": " + reason : "") + ")";
    if (action === "stop") {
      this.#giveUp(what, code);
    } else if (action === "token" && this.#getToken) {
      this.#state.lastCloseCode = code;
      this.#token = null; // #open asks getToken for a new one
      this.#setState({ status: "reconnecting", lastError: "token expired: fetching a new one" });
      this.#open("reconnecting");
    } else if (action === "token") {
      this.#giveUp("token expired and no getToken option to renew it", code);
    } else {
      this.#failedAttempt(what, code);
    }
  }

  /** An attempt failed or a connection dropped: wait the backoff and try again, or give up after the limit. */
  #failedAttempt(error, code) {
    if (this.#closedByUser) return;
    const attempts = this.#state.attempts + 1;
    if (attempts > this.#maxAttempts) {
      this.#giveUp("unable to connect after " + this.#maxAttempts + " attempts; last: " + error, code);
      return;
    }
    const delay = backoffDelay(attempts, this.#random, this.#backoffMs);
    this.#setState({ status: "reconnecting", attempts, lastError: error, lastCloseCode: code, nextAttemptInMs: delay });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#open("reconnecting");
    }, delay);
  }

  #giveUp(error, code) {
    this.#clearTimers();
    this.#rejectPending(new InboxError("disconnected", error));
    this.#setState({ status: "error", lastError: error, lastCloseCode: code });
  }

  #clearTimers() {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#connectTimer);
    this.#retryTimer = this.#connectTimer = null;
  }

  #setState(patch) {
    const next = { ...this.#state, ...patch };
    if (next.status !== "reconnecting") delete next.nextAttemptInMs;
    this.#state = next;
    this.#emit("state", { ...next });
  }

  // ---- frames in ----

  #receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    switch (frame.type) {
      case "TEXT":
        this.#remember(frame);
        this.#typing.text(frame);
        if (frame.client_msg_id !== undefined) this.#settle(frame.client_msg_id, frame, null);
        break;
      case "ERROR":
        if (frame.client_msg_id !== undefined) this.#settle(frame.client_msg_id, null, frame);
        this.#emit("error", frame);
        break;
      case "RESUMED":
        this.#onResumed(frame);
        break;
      case "TYPING":
        this.#typing.typing(frame);
        break;
      case "READ":
        this.#emit("read", frame);
        break;
      case "READS":
        this.#emit("reads", frame);
        this.#wake("READS", frame);
        break;
      case "UNREAD":
        this.#emit("unread", frame);
        this.#wake("UNREAD", frame);
        break;
      case "PRESENCE":
        this.#presence.set(frame.user_id, frame.status);
        this.#emit("presence", frame);
        break;
      default:
        break;
    }
    this.#conversations.dispatch(frame);
    this.#emit("frame", frame);
  }

  #remember(frame) {
    const last = this.#seen.get(frame.conversation_id);
    if (last === undefined || frame.message_id > last) this.#seen.set(frame.conversation_id, frame.message_id);
  }

  #onResumed(frame) {
    // A new position: the per-conversation list restarts from it (docs/protocol.md, Resume).
    const first = this.#position === null;
    this.#position = frame.position ?? null;
    this.#seen.clear();
    this.#resumed = true;
    if (frame.recovered === false && !(first && frame.reason === "no_position")) {
      this.#emit("reload", { all: true, reason: frame.reason ?? "unknown", conversations: [] });
    } else if (frame.not_recovered && frame.not_recovered.length > 0) {
      this.#emit("reload", { all: false, reason: null, conversations: frame.not_recovered });
    }
    this.#emit("resumed", frame);
    this.#afterSync();
  }

  /** After RESUMED (or at open without resume): resend unacknowledged messages, re-watch presence. */
  #afterSync() {
    // Same client_msg_id: the gateway acknowledges a resend it already admitted with the original message_id
    // and delivers it to nobody again (docs/protocol.md, "Resending is safe").
    for (const p of this.#pending.values()) this.#ws.send(p.json);
    if (this.#presenceWatched.size > 0) {
      this.#ws.send(JSON.stringify({ type: "PRESENCE_SUBSCRIBE", user_ids: [...this.#presenceWatched] }));
    }
  }

  #settle(clientMsgId, ack, error) {
    const p = this.#pending.get(clientMsgId);
    if (!p) return;
    this.#pending.delete(clientMsgId);
    if (ack) p.resolve(ack);
    else p.reject(new InboxError(error.code, error.message, error));
  }

  #rejectPending(error) {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) p.reject(error);
  }

  // ---- frames out ----

  /** Whether frames can go out now: open and, with resume, past the RESUME exchange. */
  get #ready() {
    return this.#ws !== null && this.#ws.readyState === 1 && (this.#resumed || !this.#resume);
  }

  #sendNow(frame) {
    if (!this.#ready) return false;
    this.#ws.send(JSON.stringify(frame));
    return true;
  }

  /**
   * Sends a TEXT; resolves with the acknowledgement (the TEXT frame as delivered, with message_id), rejects with an
   * InboxError carrying the ERROR's code. Sent at once when connected, else when the connection is back; resent with
   * the same client_msg_id after a reconnect until acknowledged.
   */
  send(conversationId, message, { clientMsgId } = {}) {
    const id = clientMsgId ?? this.#msgPrefix + ++this.#msgCounter;
    const json = JSON.stringify({
      type: "TEXT",
      conversation_id: Number(conversationId),
      message: String(message),
      client_msg_id: id,
    });
    return new Promise((resolve, reject) => {
      // Over the gateway's frame limit the connection would be closed (1009), and a resend after the reconnect would
      // close the next one: refused here, before it costs the connection.
      const bytes = new TextEncoder().encode(json).length;
      if (bytes > this.#maxFrameBytes) {
        reject(new InboxError("frame_too_large", `the frame is ${bytes} bytes (limit ${this.#maxFrameBytes})`));
        return;
      }
      if (this.#state.status === "error" || this.#state.status === "closed") {
        reject(new InboxError("disconnected", "not connected (" + this.#state.status + ")"));
        return;
      }
      this.#pending.set(id, { json, resolve, reject });
      if (this.#ready) this.#ws.send(json);
    });
  }

  /** Says "I am typing" in a conversation; call on every keystroke, at most one frame per 2 s goes out. */
  typing(conversationId, now = Date.now()) {
    const id = Number(conversationId);
    const last = this.#lastTypingSent.get(id);
    if (last !== undefined && now - last < TYPING_SEND_INTERVAL_MS) return false;
    if (!this.#sendNow({ type: "TYPING", conversation_id: id })) return false;
    this.#lastTypingSent.set(id, now);
    return true;
  }

  /** Users typing in a conversation now: [{user_id, name}]. */
  typingIn(conversationId) {
    return this.#typing.typingIn(Number(conversationId));
  }

  /** Moves my read position in a conversation forward to {@code messageId}; false when not connected. */
  markRead(conversationId, messageId) {
    return this.#sendNow({ type: "READ", conversation_id: Number(conversationId), message_id: messageId });
  }

  /** Asks for the members' read positions and my unread count there; resolves with the READS frame. */
  reads(conversationId) {
    const id = Number(conversationId);
    return this.#ask("READS", { type: "READS", conversation_id: id }, (f) => f.conversation_id === id);
  }

  /** Asks for my unread counts; resolves with the UNREAD frame ({conversations:[{conversation_id, unread}]}). */
  unread() {
    return this.#ask("UNREAD", { type: "UNREAD" }, () => true);
  }

  #ask(type, frame, matches) {
    return new Promise((resolve, reject) => {
      if (!this.#sendNow(frame)) {
        reject(new InboxError("disconnected", "not connected"));
        return;
      }
      // An answer that never comes (a gateway without these frames answers unknown_type, an ERROR that names no
      // request) must not leave the promise and its waiter behind for ever.
      const waiter = { matches, resolve, timer: null };
      waiter.timer = setTimeout(() => {
        const list = this.#waiters[type];
        const i = list.indexOf(waiter);
        if (i >= 0) list.splice(i, 1);
        reject(new InboxError("timeout", "no " + type + " answer within " + ANSWER_TIMEOUT_MS + " ms"));
      }, ANSWER_TIMEOUT_MS);
      this.#waiters[type].push(waiter);
    });
  }

  #wake(type, frame) {
    const list = this.#waiters[type];
    const i = list.findIndex((w) => w.matches(frame));
    if (i >= 0) {
      const w = list.splice(i, 1)[0];
      clearTimeout(w.timer);
      w.resolve(frame);
    }
  }

  /** Follows users' online status ("presence" events); kept across reconnects. */
  watchPresence(userIds) {
    const fresh = userIds.map(Number).filter((u) => !this.#presenceWatched.has(u));
    fresh.forEach((u) => this.#presenceWatched.add(u));
    if (fresh.length > 0) this.#sendNow({ type: "PRESENCE_SUBSCRIBE", user_ids: fresh });
  }

  unwatchPresence(userIds) {
    const gone = userIds.map(Number).filter((u) => this.#presenceWatched.delete(u));
    gone.forEach((u) => this.#presence.delete(u));
    if (gone.length > 0) this.#sendNow({ type: "PRESENCE_UNSUBSCRIBE", user_ids: gone });
  }

  /** "online", "offline", or undefined when not known (not watched, or no answer yet). */
  presenceOf(userId) {
    return this.#presence.get(Number(userId));
  }

  // ---- listeners ----

  /** Calls {@code fn} with every frame of one conversation (TEXT, TYPING, READ, READS, ERROR); returns unsubscribe. */
  subscribe(conversationId, fn) {
    return this.#conversations.add(Number(conversationId), fn);
  }

  /**
   * Events: "state", "frame" (every frame), "error" (ERROR frames), "typing", "read", "reads", "unread",
   * "presence", "resumed", "reload". Returns the function removing the listener.
   */
  on(event, fn) {
    let set = this.#events.get(event);
    if (!set) this.#events.set(event, (set = new Set()));
    set.add(fn);
    return () => {
      const s = this.#events.get(event);
      if (s && s.delete(fn) && s.size === 0) this.#events.delete(event);
    };
  }

  #emit(event, value) {
    const set = this.#events.get(event);
    if (set) for (const fn of [...set]) safely(fn, value);
  }

  /** Conversation listeners plus event listeners registered now (the checklist's leak check). */
  get listenerCount() {
    let n = this.#conversations.size;
    for (const s of this.#events.values()) n += s.size;
    return n;
  }

  /** Messages sent and not yet acknowledged. */
  get pendingCount() {
    return this.#pending.size;
  }
}

/** Why a send or a request failed: {@code code} is the gateway's ERROR code, or "disconnected" / "closed". */
export class InboxError extends Error {
  constructor(code, message, frame = null) {
    super(message);
    this.name = "InboxError";
    this.code = code;
    this.frame = frame;
  }
}

function detach(ws) {
  ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
}

function withResume(url) {
  const u = new URL(url, globalThis.location ? globalThis.location.href : undefined);
  u.searchParams.set("resume", "1");
  return u.toString();
}

/** ws(s)://<this page's host>/ws/inbox/ */
function defaultUrl() {
  const l = globalThis.location;
  return (l.protocol === "https:" ? "wss://" : "ws://") + l.host + "/ws/inbox/";
}

function errorText(e) {
  return e && e.message ? e.message : String(e);
}

// ---- one client per page, as the seeds' global connection ----

let shared = null;

/** The page's one client, made on first call with these options (later calls' options are ignored). */
export function sharedClient(options) {
  if (!shared) shared = new InboxClient(options);
  return shared;
}

/** Forgets the page's shared client after closing it (sign-out). */
export function closeSharedClient() {
  if (shared) shared.close();
  shared = null;
}
