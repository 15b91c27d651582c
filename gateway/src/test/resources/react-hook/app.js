// A small app using the seeds' hook the way the seeds do: one component per open conversation, each calling
// useWebSocket(conversationId, onMessage) on the page's one shared connection. Everything a test reads is in the DOM.
// Query: ws=<WebSocket URL>, open=<conversation ids, comma-separated>, keyed=1 (one chat window, remounted per
// conversation as <Chat key={id}>), maxAttempts, backoffMs (comma-separated).
import { createElement as h, useEffect, useRef, useState } from "react";
import { configureWebSocket, useWebSocket } from "/client/use-web-socket.js";
import { sharedClient } from "/client/inbox-client.js";

const query = new URLSearchParams(location.search);
const ids = (query.get("open") || "").split(",").filter(Boolean).map(Number);
configureWebSocket({
  url: query.get("ws"),
  ...(query.has("maxAttempts") ? { maxAttempts: Number(query.get("maxAttempts")) } : {}),
  ...(query.has("backoffMs") ? { backoffMs: query.get("backoffMs").split(",").map(Number) } : {}),
});

function Chat({ id, onClose }) {
  const [heard, setHeard] = useState([]); // every frame onMessage got, in order
  const [text, setText] = useState("");
  const { isConnected, isConnecting, error, sendMessage, lastMessage, retry } = useWebSocket(id, (msg) =>
    setHeard((all) => [...all, msg]),
  );
  return h(
    "section",
    {
      className: "chat",
      "data-conversation": id,
      "data-connected": String(isConnected),
      "data-connecting": String(isConnecting),
      "data-error": error || "",
    },
    h("h2", null, "Conversation " + id),
    h(
      "p",
      {
        className: "last",
        "data-type": lastMessage ? lastMessage.type : "",
        "data-conversation": lastMessage ? String(lastMessage.conversation_id) : "",
        "data-code": lastMessage && lastMessage.code ? lastMessage.code : "",
      },
      lastMessage ? lastMessage.message || "" : "",
    ),
    h("ol", { className: "heard" }, ...heard.map((m, i) => h("li", { key: i, "data-conversation": m.conversation_id }, m.type + ":" + (m.message || m.code || "")))),
    h("input", { className: "text", value: text, onChange: (e) => setText(e.target.value) }),
    // The seeds' callers ignore what sendMessage returns.
    h("button", { className: "send", onClick: () => { sendMessage(id, text); setText(""); } }, "Send"),
    error && !isConnected && !isConnecting ? h("button", { className: "retry", onClick: retry }, "Retry Now") : null,
    onClose ? h("button", { className: "close", onClick: onClose }, "Close") : null,
  );
}

function App() {
  const [open, setOpen] = useState(ids);
  const [current, setCurrent] = useState(ids[0]);
  useEffect(() => {
    window.inbox = sharedClient(); // the hooks' client, made by the first one to render: for listenerCount
  }, []);
  if (query.get("keyed") === "1") {
    // A chat window remounted for each conversation, as an app does with <Chat key={chat.id}>.
    return h(
      "main",
      null,
      h("nav", null, ...ids.map((i) => h("button", { key: i, className: "open", "data-conversation": i, onClick: () => setCurrent(i) }, "#" + i))),
      h(Chat, { key: current, id: current }),
    );
  }
  return h("main", null, ...open.map((i) => h(Chat, { key: i, id: i, onClose: () => setOpen((o) => o.filter((x) => x !== i)) })));
}

ReactDOM.createRoot(document.getElementById("root")).render(h(App));
