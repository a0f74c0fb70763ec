import {
  type ChatClientFrame,
  ChatCloseCode,
  ChatServerFrame,
  chatSubprotocols,
} from "@hearth/contracts/mini";

/** Distributes a frame that omits `v` over the client frame union (the connection stamps the version). */
type Unversioned<T> = T extends unknown ? Omit<T, "v"> : never;
export type OutgoingFrame = Unversioned<ChatClientFrame>;

export type ChatStatus =
  | { state: "connecting"; retryInMs: number }
  | { state: "open" }
  | { state: "closed"; reason: string };

export interface ChatConnectionEvents {
  onFrame(frame: ChatServerFrame): void;
  onStatus(status: ChatStatus): void;
}

const IDENTITY_KEY = "hearth.chat.identity";

/** Close codes after which reconnecting cannot help, with what to tell the viewer. */
export const FINAL_CLOSE_REASONS: Record<number, string> = {
  [ChatCloseCode.roomClosed]: "The stream ended; this chat is closed.",
  [ChatCloseCode.banned]: "You are banned from this chat.",
  [ChatCloseCode.roomNotFound]: "This chat room does not exist (the stream may have ended).",
};

/** A chat socket that checks frames against the contract and reconnects with capped, jittered backoff. */
export function chatConnection(chatUrl: string, events: ChatConnectionEvents) {
  let ws: WebSocket | undefined;
  let attempt = 0;
  let closed = false;
  let name: string | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let pingTimer: ReturnType<typeof setInterval> | undefined;
  const connect = () => {
    if (closed) return;
    const url = new URL(chatUrl);
    if (name) url.searchParams.set("name", name);
    // The identity is a secret: offered as a subprotocol, never in the URL (proxies log URLs).
    const socket = new WebSocket(url, chatSubprotocols(localStorage.getItem(IDENTITY_KEY)));
    ws = socket;
    socket.onopen = () => {
      events.onStatus({ state: "open" });
      pingTimer = setInterval(() => send({ type: "ping" }), 25_000);
    };
    socket.onmessage = (e) => {
      let raw: unknown;
      try {
        raw = JSON.parse(String(e.data));
      } catch {
        return;
      }
      const parsed = ChatServerFrame.safeParse(raw);
      if (!parsed.success) return;
      const frame = parsed.data;
      if (frame.type === "hello") {
        attempt = 0;
        localStorage.setItem(IDENTITY_KEY, frame.you.identity);
      }
      events.onFrame(frame);
    };
    socket.onclose = (e) => {
      clearInterval(pingTimer);
      if (ws !== socket || closed) return;
      const final = FINAL_CLOSE_REASONS[e.code];
      if (final) {
        closed = true;
        events.onStatus({ state: "closed", reason: final });
        return;
      }
      // 0.5s, 1s, 2s ... capped at 15s, with jitter so a restarted chat node is not stampeded.
      const delay = Math.min(15_000, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
      attempt++;
      events.onStatus({ state: "connecting", retryInMs: Math.round(delay) });
      retryTimer = setTimeout(connect, delay);
    };
  };

  /** Sends a frame (typed by the contract; the server validates it); false when the socket is not open. */
  function send(frame: OutgoingFrame): boolean {
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    const full: ChatClientFrame = { ...frame, v: 1 } as ChatClientFrame;
    ws.send(JSON.stringify(full));
    return true;
  }

  connect();
  return {
    send,
    /** Remembers the display name so a reconnect keeps it. */
    setName(n: string) {
      name = n;
    },
    close() {
      closed = true;
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      ws?.close(1000);
    },
  };
}
export type ChatConnection = ReturnType<typeof chatConnection>;
