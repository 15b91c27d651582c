// The demo inbox: one InboxClient for the page, one listener for the open conversation. Query parameters:
//   user_id, name   dev-mode sign-in, passed on to the WebSocket as the gateway's dev mode expects
//   conversations   conversations listed at start (comma-separated ids; default 1,2,3)
//   ws              another WebSocket URL (tests: a stopped node, a node behind HAProxy)
//   backoff_ms, max_attempts   another reconnection schedule (comma-separated ms) and limit, for tests
// Outside dev mode the token comes in the fragment, #token=<jwt> (never sent to a server by the browser), or from
// the app through window.inboxToken; the client sends it as a subprotocol, not in the URL.
import { InboxClient } from "/client/inbox-client.js";

const params = new URLSearchParams(location.search);
const NAMES = ["Ann", "Bob", "Cid", "Dee", "Eve", "Fay", "Gus", "Hal"];
if (!params.has("user_id") && !params.has("ws") && !location.hash.includes("token=")) {
  // Dev mode and no identity yet: each new tab signs in as the next user (Ann, then Bob, ...) and says so in its URL,
  // so "open http://localhost:8080/ in two tabs" gives two people who can chat.
  const n = Number(localStorage.getItem("inbox-demo-next-user") || "1");
  localStorage.setItem("inbox-demo-next-user", String(n + 1));
  location.replace(`/?user_id=${n}&name=${NAMES[(n - 1) % NAMES.length]}`);
  throw new Error("signing in as user " + n); // stop this run; the page loads again with the identity
}
const me = { id: Number(params.get("user_id")) || null, name: params.get("name") || null };
const wsUrl = new URL(params.get("ws") || (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/inbox/");
if (me.id !== null) wsUrl.searchParams.set("user_id", String(me.id));
if (me.name) wsUrl.searchParams.set("name", me.name);
const token = new URLSearchParams(location.hash.slice(1)).get("token") || window.inboxToken || null;

const client = new InboxClient({
  url: wsUrl.toString(),
  token,
  // After a 4501 a real app asks its backend; the demo reads the fragment again (a test puts a fresh token there).
  backoffMs: params.get("backoff_ms") ? params.get("backoff_ms").split(",").map(Number) : undefined,
  maxAttempts: params.get("max_attempts") ? Number(params.get("max_attempts")) : undefined,
  getToken: token ? async () => new URLSearchParams(location.hash.slice(1)).get("token") : undefined,
});
window.inbox = client; // for people in the console and for the browser tests, as the seeds' window.globalWebSocket

const $ = (id) => document.getElementById(id);
const store = new Map(); // conversation id -> Map(message_id -> TEXT frame), every conversation's messages so far
const unread = new Map(); // conversation id -> count of others' messages not seen
let open = null; // { id, unsubscribe } for the conversation shown
let theirRead = new Map(); // conversation id -> highest message_id another member read

$("me").textContent = me.id !== null ? `${me.name ?? "user"} (#${me.id})` : token ? "signed in with a token" : "";

// ---- connection state ----
client.on("state", (s) => {
  $("connection").dataset.state = s.status;
  $("connection").textContent =
    s.status === "reconnecting" ? `reconnecting (attempt ${s.attempts})` : s.status;
  $("error").hidden = !s.lastError || s.status === "connected";
  $("error").textContent = s.lastError ?? "";
  $("retry").hidden = s.status !== "error";
});
$("retry").addEventListener("click", () => client.retry());

client.on("reload", (r) => {
  $("notice").hidden = false;
  $("notice").textContent = r.all
    ? `Some messages could not be recovered (${r.reason}): reload the conversations from the backend.`
    : `Messages could not be recovered in conversation ${r.conversations.map((c) => c.conversation_id).join(", ")}.`;
});

// ---- every conversation: the store and the sidebar (one listener for the page's life) ----
client.on("frame", (f) => {
  if (f.type !== "TEXT") return;
  addConversation(f.conversation_id);
  const messages = store.get(f.conversation_id);
  if (messages.has(f.message_id)) return;
  messages.set(f.message_id, f);
  if (f.sender_id !== me.id && (!open || open.id !== f.conversation_id)) {
    const n = unread.get(f.conversation_id) ?? 0;
    unread.set(f.conversation_id, typeof n === "string" ? n : n + 1); // "99+" stays so
    renderSidebar();
  }
});
client.on("unread", (u) => {
  for (const c of u.conversations) {
    addConversation(c.conversation_id);
    if (!open || open.id !== c.conversation_id) unread.set(c.conversation_id, c.unread_capped ? `${c.unread}+` : c.unread);
  }
  renderSidebar();
});
// After every (re)connection, the gateway's unread counts (conversations this user has read in before); a gateway
// without read receipts answers unknown_type, and the promise ends in a timeout that nothing waits for.
client.on("resumed", () => client.unread().catch(() => {}));
client.on("read", (r) => {
  if (r.user_id === me.id) return;
  const prev = theirRead.get(r.conversation_id) ?? 0;
  if (r.message_id > prev) theirRead.set(r.conversation_id, r.message_id);
  if (open && open.id === r.conversation_id) renderReceipts();
});
client.on("typing", (t) => {
  if (open && open.id === t.conversation_id) renderTyping(t.users);
});
client.on("presence", (p) => {
  for (const dot of document.querySelectorAll(`.presence[data-user="${p.user_id}"]`)) dot.dataset.status = p.status;
});

function addConversation(id) {
  if (!store.has(id)) {
    store.set(id, new Map());
    renderSidebar();
  }
}

function renderSidebar() {
  const ul = $("conversations");
  ul.replaceChildren(
    ...[...store.keys()].sort((a, b) => a - b).map((id) => {
      const li = document.createElement("li");
      li.dataset.conversation = String(id);
      li.setAttribute("aria-current", String(open !== null && open.id === id));
      li.append(`Conversation ${id}`);
      const badge = document.createElement("span");
      badge.className = "unread";
      badge.textContent = unread.get(id) ? String(unread.get(id)) : "";
      li.append(badge);
      li.addEventListener("click", () => openConversation(id));
      return li;
    }),
  );
}

// ---- the open conversation: its own listener, removed when it closes ----
function openConversation(id) {
  closeConversation();
  addConversation(id);
  open = { id, unsubscribe: client.subscribe(id, onConversationFrame) };
  unread.delete(id);
  $("title").textContent = `Conversation ${id}`;
  $("title").dataset.conversation = String(id);
  $("messages").replaceChildren();
  for (const f of [...store.get(id).values()].sort((a, b) => a.message_id - b.message_id)) renderMessage(f);
  renderTyping(client.typingIn(id));
  for (const el of ["message", "send", "close-conversation"]) $(el).disabled = false;
  renderSidebar();
  markLatestRead();
}

function closeConversation() {
  if (!open) return;
  open.unsubscribe();
  open = null;
  $("title").textContent = "Pick a conversation";
  delete $("title").dataset.conversation;
  $("messages").replaceChildren();
  $("typing").textContent = "";
  for (const el of ["message", "send", "close-conversation"]) $(el).disabled = true;
  renderSidebar();
}

function onConversationFrame(f) {
  if (f.type === "TEXT") {
    renderMessage(f);
    if (f.sender_id !== me.id && document.visibilityState === "visible") client.markRead(f.conversation_id, f.message_id);
  }
}

function renderMessage(f) {
  const list = $("messages");
  if (list.querySelector(`li[data-message-id="${f.message_id}"]`)) return; // a replay, or a second tab's echo
  let li = f.client_msg_id ? list.querySelector(`li[data-client-msg-id="${CSS.escape(f.client_msg_id)}"]`) : null;
  if (!li) {
    li = document.createElement("li");
    list.append(li);
  }
  li.dataset.messageId = String(f.message_id);
  li.dataset.sender = String(f.sender_id);
  li.dataset.pending = "false";
  li.className = f.sender_id === me.id ? "mine" : "";
  const dot = document.createElement("span");
  dot.className = "presence";
  dot.dataset.user = String(f.sender_id);
  dot.dataset.status = client.presenceOf(f.sender_id) ?? "unknown";
  const sender = document.createElement("span");
  sender.className = "sender";
  sender.textContent = f.sender_name ?? `#${f.sender_id}`;
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = f.message; // the acknowledgement's text: what everyone got (a publish hook may change it)
  const receipt = document.createElement("span");
  receipt.className = "receipt";
  li.replaceChildren(dot, sender, text, receipt);
  if (f.sender_id !== me.id) client.watchPresence([f.sender_id]);
  list.scrollTop = list.scrollHeight;
  renderReceipts();
}

function renderReceipts() {
  const read = open ? theirRead.get(open.id) ?? 0 : 0;
  for (const li of $("messages").querySelectorAll("li.mine[data-message-id]")) {
    const isRead = Number(li.dataset.messageId) <= read;
    li.dataset.read = String(isRead);
    li.querySelector(".receipt").textContent = isRead ? "read" : "";
  }
}

function renderTyping(users) {
  const others = users.filter((u) => u.user_id !== me.id);
  $("typing").textContent =
    others.length === 0 ? "" : `${others.map((u) => u.name ?? `#${u.user_id}`).join(", ")} ${others.length === 1 ? "is" : "are"} typing…`;
}

function markLatestRead() {
  if (!open) return;
  let latest = 0;
  for (const f of store.get(open.id).values()) if (f.sender_id !== me.id && f.message_id > latest) latest = f.message_id;
  if (latest > 0) client.markRead(open.id, latest);
}

// ---- sending ----
$("send-form").addEventListener("submit", (e) => {
  e.preventDefault();
  if (!open) return;
  const input = $("message");
  const text = input.value;
  if (text.trim() === "") return;
  input.value = "";
  const clientMsgId = `demo-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const li = document.createElement("li");
  li.className = "mine";
  li.dataset.clientMsgId = clientMsgId;
  li.dataset.pending = "true";
  const span = document.createElement("span");
  span.className = "text";
  span.textContent = text;
  li.append(span);
  $("messages").append(li);
  client.send(open.id, text, { clientMsgId }).catch((err) => {
    li.classList.add("failed");
    li.dataset.pending = "false";
    li.dataset.error = err.code;
    li.title = err.message;
  });
});
$("message").addEventListener("input", () => {
  if (open) client.typing(open.id);
});
$("close-conversation").addEventListener("click", closeConversation);
$("open-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const id = Number($("new-conversation").value);
  if (Number.isSafeInteger(id) && id > 0) openConversation(id);
  $("new-conversation").value = "";
});
document.addEventListener("visibilitychange", markLatestRead);

for (const id of (params.get("conversations") ?? "1,2,3").split(",").map(Number)) {
  if (Number.isSafeInteger(id) && id > 0) addConversation(id);
}
client.connect();
