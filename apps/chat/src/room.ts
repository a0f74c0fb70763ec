import { CHAT_HISTORY_ON_JOIN, type ChatCounts, type ChatMessage } from "@hearth/contracts";
import type { ServerWebSocket } from "bun";
import type { TokenBucket } from "./token-bucket.ts";

/** What the server keeps about one connection (Bun's `ws.data`). */
export interface ConnData {
  connId: number;
  room: string;
  /** The client's address (behind trusted proxies, from X-Forwarded-For), for the per-address cap. */
  ip: string;
  /** Whether this connection still holds its slot in the per-address cap. */
  slotHeld: boolean;
  userId: string;
  identity: string;
  name: string | null;
  /** The name asked for in the connect URL was taken (told after `hello`). */
  nameTaken: boolean;
  moderator: boolean;
  bucket: TokenBucket;
  /** Times (ms) of recent refused frames; too many closes the socket. */
  strikes: number[];
  /** Set at admission: the client is told why, then closed, as soon as the socket opens. */
  refusal?: { code: "room_not_found" | "banned"; message: string; close: number };
}
export type ChatSocket = ServerWebSocket<ConnData>;

/** One room as this node sees it: its local sockets, names, moderation state and recent messages. */
export class Room {
  readonly topic: string;
  readonly conns = new Set<ChatSocket>();
  /** Normalised display name → the connection holding it. */
  readonly names = new Map<string, number>();
  /** userId → time of the last message, for slow mode. */
  readonly lastSend = new Map<string, number>();
  /** Admissions between the upgrade request and the socket opening. */
  pending = 0;
  closed = false;
  /** Frames waiting for the next batched fan-out (big rooms only). */
  outbox: string[] = [];
  flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the last batch went out (performance.now()); batches start at most `batchMs` apart. */
  lastFlushAt = Number.NEGATIVE_INFINITY;
  /** The last messages, oldest first: what a joining client gets in `hello`. */
  recent: ChatMessage[] = [];

  constructor(
    readonly publicId: string,
    public slowModeSeconds: number,
    /** userId → null (banned) or the end of a time-out (ms since the epoch). */
    readonly bans: Map<string, number | null>,
  ) {
    this.topic = `room:${publicId}`;
  }

  /** Local counts: open sockets and named ones. */
  counts(): ChatCounts {
    return { viewers: this.conns.size, chatters: this.names.size };
  }

  /** Whether anything still needs this room on this node. */
  inUse(): boolean {
    return this.conns.size > 0 || this.pending > 0;
  }

  /** "banned", "timed_out" or undefined for a user at `now`. */
  standing(userId: string, now: number): "banned" | "timed_out" | undefined {
    if (!this.bans.has(userId)) return undefined;
    const until = this.bans.get(userId);
    if (until === null) return "banned";
    if (until !== undefined && until > now) return "timed_out";
    this.bans.delete(userId);
    return undefined;
  }

  /** Claims a display name for a connection; false when someone else here holds it. */
  claimName(connId: number, name: string): boolean {
    const key = normaliseName(name);
    const holder = this.names.get(key);
    if (holder !== undefined && holder !== connId) return false;
    this.names.set(key, connId);
    return true;
  }

  releaseName(connId: number, name: string | null): void {
    if (name === null) return;
    const key = normaliseName(name);
    if (this.names.get(key) === connId) this.names.delete(key);
  }

  /** Keeps a delivered message for the next joiner. */
  remember(message: ChatMessage): void {
    this.recent.push(message);
    if (this.recent.length > CHAT_HISTORY_ON_JOIN * 2) this.recent = this.recent.slice(-CHAT_HISTORY_ON_JOIN);
  }

  forget(messageId: string): void {
    this.recent = this.recent.filter((m) => m.id !== messageId);
  }

  /** The history a joining client gets. */
  history(): ChatMessage[] {
    return this.recent.slice(-CHAT_HISTORY_ON_JOIN);
  }
}

/** Names compare case-insensitively and after Unicode compatibility folding ("Ａna" is "ana"). */
export function normaliseName(name: string): string {
  return name.normalize("NFKC").toLowerCase();
}
