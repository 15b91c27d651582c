// The seeds' React hook, on the inbox client: switch a front end over by changing its import to this file.
// React is the app's (a peer dependency); this file has no other import.
import { useCallback, useEffect, useRef, useState } from "react";
import { sharedClient } from "./inbox-client.js";

let options = {};
/** Hooks mounted now; the last one to unmount closes the connection, a task later (see closeWhenUnused). */
let users = 0;
let closing = null;

/**
 * Options for the page's one connection (url, token or getToken...), before the first hook mounts. Without it the
 * hook connects to ws(s)://<this host>/ws/inbox/ with no token (cookie or connect-hook sign-in).
 */
export function configureWebSocket(o) {
  options = o || {};
}

function snapshot(state) {
  return {
    isConnected: state.status === "connected",
    isConnecting: state.status === "connecting" || state.status === "reconnecting",
    error: state.status === "connected" ? null : state.lastError,
  };
}

/**
 * useWebSocket(conversationId, onMessage) -> { isConnected, isConnecting, error, sendMessage, lastMessage, retry }
 * as in the seeds: one shared WebSocket for every conversation; this component's listener hears only
 * conversationId's frames; the last hook to unmount closes the connection. sendMessage(conversationId, text)
 * returns the client's promise (acknowledgement or ERROR), which the seeds' callers may ignore.
 */
export function useWebSocket(conversationId, onMessage) {
  const client = sharedClient(options);
  const [status, setStatus] = useState(() => snapshot(client.state));
  const [lastMessage, setLastMessage] = useState(null);
  const onMessageRef = useRef(onMessage);
  onMessageRef.current = onMessage;

  useEffect(() => {
    users++;
    clearTimeout(closing);
    closing = null;
    const off = client.on("state", (s) => setStatus(snapshot(s)));
    client.connect();
    setStatus(snapshot(client.state));
    return () => {
      off();
      if (--users === 0) closeWhenUnused(client);
    };
  }, [client]);

  useEffect(() => {
    setLastMessage(null);
    if (conversationId === null || conversationId === undefined) return undefined;
    return client.subscribe(conversationId, (msg) => {
      setLastMessage(msg);
      if (onMessageRef.current) onMessageRef.current(msg);
    });
  }, [client, conversationId]);

  const sendMessage = useCallback(
    (id, text) => {
      const sent = client.send(id, text);
      // The seeds' callers ignore the result: a refusal reaches them as lastMessage (the ERROR frame) or as the error
      // state, and must not also be an unhandled rejection. Callers that await the promise still see it reject.
      sent.catch(() => {});
      return sent;
    },
    [client],
  );
  const retry = useCallback(() => client.retry(), [client]);
  return { ...status, sendMessage, lastMessage, retry };
}

/**
 * Closes the connection unless a hook mounts again within this task. React runs an unmounting component's cleanup
 * before a mounting one's effect in the same commit (a chat window remounted per conversation, <Chat key={id}>, or
 * StrictMode's mount-unmount-mount in development): closing at once dropped the connection between the two, rejected
 * the messages not yet acknowledged with "closed", and opened a new WebSocket (ReactHookBrowserIT).
 */
function closeWhenUnused(client) {
  closing = setTimeout(() => {
    closing = null;
    if (users === 0) client.close();
  });
}
