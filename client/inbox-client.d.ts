// Types for inbox-client.js: the inbox gateway's browser client (docs/protocol.md is the wire contract).

export declare const BACKOFF_MS: readonly number[];
export declare const JITTER: number;
export declare const MAX_ATTEMPTS: number;
export declare const CONNECT_TIMEOUT_MS: number;
export declare const TYPING_SHOWN_MS: number;
export declare const TYPING_SEND_INTERVAL_MS: number;
export declare const ANSWER_TIMEOUT_MS: number;
export declare const MAX_FRAME_BYTES: number;
export declare const SUBPROTOCOL: "inbox.v1";

/** The delay before reconnection attempt `attempt` (1-based), jittered by +-JITTER. */
export declare function backoffDelay(attempt: number, random?: () => number, schedule?: readonly number[]): number;
/** What a close code asks of the client. */
export declare function closeAction(code: number): "reconnect" | "token" | "stop";

export type ConnectionStatus = "closed" | "connecting" | "connected" | "reconnecting" | "error";

export interface ConnectionState {
  status: ConnectionStatus;
  /** Failed attempts in a row (0 once connected). */
  attempts: number;
  lastError: string | null;
  lastCloseCode: number | null;
  /** While reconnecting: the delay before the next attempt. */
  nextAttemptInMs?: number;
}

export interface InboxClientOptions {
  /** ws(s) URL of /ws/inbox/; default: this page's host. Dev mode: add ?user_id=N&name=... here. */
  url?: string;
  /** A token (JWT) sent as the inbox.token.<jwt> subprotocol; never put it in the URL. */
  token?: string | null;
  /** Asked for a token before the first connection without one, and again after close 4501 (token expired). */
  getToken?: (context: { reason: "connect" }) => string | Promise<string>;
  /** Resume after a reconnect (?resume=1 and RESUME): default true. */
  resume?: boolean;
  /** Default MAX_ATTEMPTS (10). */
  maxAttempts?: number;
  /** Default BACKOFF_MS (the seeds' 500 ms, 2 s, 5 s, 10 s, 30 s); the last repeats. */
  backoffMs?: readonly number[];
  /** The gateway's --max-frame-bytes (default 65536): a send over it is rejected locally, "frame_too_large". */
  maxFrameBytes?: number;
  /** Default CONNECT_TIMEOUT_MS (5000). */
  connectTimeoutMs?: number;
  /** For tests: the WebSocket constructor and the random source of the jitter. */
  WebSocket?: typeof WebSocket;
  random?: () => number;
}

export interface TextFrame {
  type: "TEXT";
  message: string;
  conversation_id: number;
  sender_id: number;
  sender_name?: string;
  sender_avatar?: string;
  created_at: string;
  message_id: number;
  client_msg_id?: string;
}

export interface ErrorFrame {
  type: "ERROR";
  code: string;
  message: string;
  conversation_id?: number;
  client_msg_id?: string;
}

export interface TypingFrame {
  type: "TYPING";
  conversation_id: number;
  sender_id: number;
  sender_name?: string;
}

export interface ReadFrame {
  type: "READ";
  conversation_id: number;
  user_id: number;
  message_id: number;
}

export interface ReadsFrame {
  type: "READS";
  conversation_id: number;
  unread: number;
  unread_capped?: boolean;
  positions: { user_id: number; message_id: number }[];
}

export interface UnreadFrame {
  type: "UNREAD";
  /** unread_capped: the count stopped at the gateway's --unread-max (show "99+"). */
  conversations: { conversation_id: number; unread: number; unread_capped?: boolean }[];
}

export interface PresenceFrame {
  type: "PRESENCE";
  user_id: number;
  status: "online" | "offline";
}

export interface ResumedFrame {
  type: "RESUMED";
  position: string | null;
  recovered: boolean;
  reason?: string;
  replayed?: number;
  not_recovered?: { conversation_id: number; reason: string }[];
}

export type ServerFrame =
  | TextFrame
  | ErrorFrame
  | TypingFrame
  | ReadFrame
  | ReadsFrame
  | UnreadFrame
  | PresenceFrame
  | ResumedFrame;

/** Show what the gateway could not replay: everything (`all`) or the named conversations. */
export interface ReloadEvent {
  all: boolean;
  reason: string | null;
  conversations: { conversation_id: number; reason: string }[];
}

export interface InboxEvents {
  state: ConnectionState;
  frame: ServerFrame;
  error: ErrorFrame;
  typing: { conversation_id: number; users: { user_id: number; name: string | null }[] };
  read: ReadFrame;
  reads: ReadsFrame;
  unread: UnreadFrame;
  presence: PresenceFrame;
  resumed: ResumedFrame;
  reload: ReloadEvent;
}

export declare class InboxError extends Error {
  /** The gateway's ERROR code, or "disconnected" / "closed" / "timeout" (reads, unread) / "frame_too_large". */
  readonly code: string;
  readonly frame: ErrorFrame | null;
}

export declare class ListenerRegistry {
  add(conversationId: number | null, fn: (frame: ServerFrame) => void): () => void;
  dispatch(frame: ServerFrame): void;
  readonly size: number;
  conversations(): number[];
}

export declare class TypingTracker {
  constructor(
    onChange: (conversationId: number, users: { user_id: number; name: string | null }[]) => void,
    timers?: { setTimeout?: typeof setTimeout; clearTimeout?: typeof clearTimeout },
  );
  typing(frame: TypingFrame): void;
  text(frame: TextFrame): void;
  typingIn(conversationId: number): { user_id: number; name: string | null }[];
  clear(): void;
}

export declare class InboxClient {
  constructor(options?: InboxClientOptions);
  connect(): void;
  close(): void;
  retry(): void;
  readonly state: ConnectionState;
  readonly isConnected: boolean;
  send(conversationId: number, message: string, options?: { clientMsgId?: string }): Promise<TextFrame>;
  typing(conversationId: number): boolean;
  typingIn(conversationId: number): { user_id: number; name: string | null }[];
  markRead(conversationId: number, messageId: number): boolean;
  reads(conversationId: number): Promise<ReadsFrame>;
  unread(): Promise<UnreadFrame>;
  watchPresence(userIds: number[]): void;
  unwatchPresence(userIds: number[]): void;
  presenceOf(userId: number): "online" | "offline" | undefined;
  subscribe(conversationId: number, fn: (frame: ServerFrame) => void): () => void;
  on<E extends keyof InboxEvents>(event: E, fn: (value: InboxEvents[E]) => void): () => void;
  readonly listenerCount: number;
  readonly pendingCount: number;
}

export declare function sharedClient(options?: InboxClientOptions): InboxClient;
export declare function closeSharedClient(): void;
