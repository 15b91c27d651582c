import type { InboxClientOptions, ServerFrame, TextFrame } from "./inbox-client";

/** Options for the page's one connection; call before the first hook mounts. */
export function configureWebSocket(options: InboxClientOptions): void;

export interface UseWebSocketResult {
  /** The shared connection is open. */
  isConnected: boolean;
  /** Connecting or reconnecting (with backoff). */
  isConnecting: boolean;
  /** Why it is not connected, or null. */
  error: string | null;
  /** Sends a TEXT; resolves with the acknowledgement, rejects with an InboxError. */
  sendMessage: (conversationId: number, message: string) => Promise<TextFrame>;
  /** The last frame of this conversation. */
  lastMessage: ServerFrame | null;
  /** Reconnect now, with a fresh attempt count. */
  retry: () => void;
}

/** The seeds' hook: one shared WebSocket, this component's frames filtered by conversation_id. */
export function useWebSocket(
  conversationId: number | null,
  onMessage: (message: ServerFrame) => void,
): UseWebSocketResult;
