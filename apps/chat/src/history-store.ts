import type { ChatMessage } from "@hearth/contracts";
import { chatBans, chatMessages, chatRooms, type Database } from "@hearth/db";
import type { Logger } from "@hearth/server-kit";
import { and, eq, gt, isNull, or } from "drizzle-orm";
import { inTimeRange, type ReplayRange, recentQuery, replayQuery, toMessage } from "./message-queries.ts";
import type { ReplayPosition } from "./replay-cursor.ts";

export type { ReplayRange } from "./message-queries.ts";

// Messages are written in small batches so a busy room costs one INSERT per tick, not one per message.
const FLUSH_MS = 50;
// How many times a replay page forces the queue out before giving up on including it (see replay()).
const REPLAY_FLUSH_TRIES = 2;

/** A room's open state as the database keeps it. */
export interface StoredRoom {
  slowModeSeconds: number;
  /** userId → null (banned) or the end of a time-out (ms since the epoch). */
  bans: Map<string, number | null>;
}

/** One replay page, oldest first; `next` is where the following page starts, null when the range is done. */
export interface ReplayPage {
  messages: ChatMessage[];
  next: ReplayPosition | null;
}

/**
 * Rooms, their history and their bans in Postgres / PGlite (the chat_* tables). Messages are kept for good
 * (a recording may replay them) until a moderator deletes one or the recording's range is deleted.
 */
export interface HistoryStore {
  openRoom(publicId: string): Promise<void>;
  /** Closes a room and forgets its bans; its messages stay for replay. */
  closeRoom(publicId: string): Promise<void>;
  /** The room, when it exists and is open. */
  room(publicId: string): Promise<StoredRoom | undefined>;
  /** Whether the room was ever opened (open or closed): replay answers for those. */
  exists(publicId: string): Promise<boolean>;
  setSlowMode(publicId: string, seconds: number): Promise<void>;
  /** The last `limit` messages, oldest first, including ones not yet written. */
  recent(publicId: string, limit: number): Promise<ChatMessage[]>;
  /** Queues a message for writing (delivery never waits on the database). */
  append(publicId: string, message: ChatMessage): void;
  /** Deletes a message; false when it is not (or no longer) in the history. */
  remove(publicId: string, messageId: string): Promise<boolean>;
  /** At most `limit` messages of a range in server-time order, including ones not yet written. */
  replay(publicId: string, range: ReplayRange, limit: number): Promise<ReplayPage>;
  /** Deletes the room's messages with server times `from`..`to` (inclusive), written or not: their ids, oldest first. */
  removeRange(publicId: string, from: number, to: number): Promise<string[]>;
  ban(publicId: string, userId: string, until: number | null): Promise<void>;
  unban(publicId: string, userId: string): Promise<void>;
  /** Writes everything queued. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

type Pending = { room: string; message: ChatMessage };

const inRange = (ts: number, r: ReplayRange) =>
  ts >= r.from && (r.to === null || ts <= r.to) && (r.after === null || ts >= r.after.ts);

/** The Drizzle-backed store with a write-behind queue for messages. */
export function historyStore(db: Database, logger: Logger): HistoryStore {
  let pending: Pending[] = [];
  let inflight: Pending[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> = Promise.resolve();

  const writeBatch = async () => {
    if (pending.length === 0) return;
    inflight = pending;
    pending = [];
    try {
      await db.insert(chatMessages).values(
        inflight.map(({ room, message: m }) => ({
          id: m.id,
          roomId: room,
          userId: m.userId,
          displayName: m.name,
          text: m.text,
          createdAt: new Date(m.ts),
        })),
      );
    } catch (err) {
      // The database being away must not stop the chat; these messages just miss the history.
      logger.error("chat history write failed", { err: (err as Error).message, dropped: inflight.length });
    } finally {
      inflight = [];
    }
  };

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    flushing = flushing.then(writeBatch);
    return flushing;
  };

  /** The room's messages not yet committed (being written, then waiting), in arrival order. */
  const queuedIn = (publicId: string, range: ReplayRange): ChatMessage[] =>
    [...inflight, ...pending]
      .filter((p) => p.room === publicId && inRange(p.message.ts, range))
      .map((p) => p.message);

  return {
    async openRoom(publicId) {
      await db
        .insert(chatRooms)
        .values({ publicId })
        .onConflictDoUpdate({ target: chatRooms.publicId, set: { closedAt: null } });
    },
    async closeRoom(publicId) {
      // The last messages are written now, so the recording's replay has them whatever happens next.
      await flush();
      await db.update(chatRooms).set({ closedAt: new Date() }).where(eq(chatRooms.publicId, publicId));
      await db.delete(chatBans).where(eq(chatBans.roomId, publicId));
    },
    async exists(publicId) {
      const rows = await db
        .select({ id: chatRooms.publicId })
        .from(chatRooms)
        .where(eq(chatRooms.publicId, publicId));
      return rows.length > 0;
    },
    async room(publicId) {
      const [row] = await db
        .select({ slow: chatRooms.slowModeSeconds })
        .from(chatRooms)
        .where(and(eq(chatRooms.publicId, publicId), isNull(chatRooms.closedAt)));
      if (!row) return undefined;
      const bans = await db
        .select({ userId: chatBans.userId, until: chatBans.until })
        .from(chatBans)
        .where(
          and(eq(chatBans.roomId, publicId), or(isNull(chatBans.until), gt(chatBans.until, new Date()))),
        );
      return {
        slowModeSeconds: row.slow,
        bans: new Map(bans.map((b) => [b.userId, b.until ? b.until.getTime() : null])),
      };
    },
    async setSlowMode(publicId, seconds) {
      await db.update(chatRooms).set({ slowModeSeconds: seconds }).where(eq(chatRooms.publicId, publicId));
    },
    async recent(publicId, limit) {
      const rows = await recentQuery(db, publicId, limit);
      const stored = rows.reverse().map((r) => toMessage(r).message);
      const seen = new Set(stored.map((m) => m.id));
      const queued = [...inflight, ...pending]
        .filter((p) => p.room === publicId && !seen.has(p.message.id))
        .map((p) => p.message);
      return [...stored, ...queued].slice(-limit);
    },
    append(publicId, message) {
      pending.push({ room: publicId, message });
      timer ??= setTimeout(() => void flush(), FLUSH_MS);
    },
    async remove(publicId, messageId) {
      const queued = pending.length;
      pending = pending.filter((p) => !(p.room === publicId && p.message.id === messageId));
      // Wait for a batch that may be writing it right now, then delete the row.
      await flushing;
      const gone = await db
        .delete(chatMessages)
        .where(and(eq(chatMessages.roomId, publicId), eq(chatMessages.id, messageId)))
        .returning({ id: chatMessages.id });
      return gone.length > 0 || pending.length < queued;
    },
    async replay(publicId, range, limit) {
      for (let tries = 0; ; tries++) {
        // The queue is read before the rows: a message committed in between is in both (deduplicated by
        // id), never in neither.
        const queuedNow = queuedIn(publicId, range);
        const rows = (await replayQuery(db, publicId, range, limit + 1)).map(toMessage);
        const page = rows.slice(0, limit);
        const last = page.at(-1);
        const more = rows.length > limit;
        const seen = new Set(rows.map((r) => r.message.id));
        const queued = queuedNow.filter((m) => !seen.has(m.id));
        const stored = page.map((r) => r.message);
        const here = last ? { ts: last.message.ts, seq: last.seq } : null;
        const next = more ? here : null;
        // A queued message will be written with a seq above every stored one, so its place is after the
        // stored messages of its millisecond. When all of it falls after this page's last row, the next page
        // finds it; when the range ends in this page and it fits, it is served now (no cursor needed).
        if (queued.length === 0 || (more && last && queued.every((m) => m.ts >= last.message.ts)))
          return { messages: stored, next };
        if (!more && stored.length + queued.length <= limit) {
          // A stable sort keeps stored before queued in one millisecond, as their seqs will be.
          return { messages: [...stored, ...queued].sort((a, b) => a.ts - b.ts), next: null };
        }
        // Rare: the queue straddles a page boundary and has no seq to put in a cursor. Write it and read again.
        // Still straddling after that (a flood racing the reads): serve the written part; the queue, newer than
        // it, follows on the next page.
        if (tries >= REPLAY_FLUSH_TRIES) return { messages: stored, next: here };
        await flush();
      }
    },
    async removeRange(publicId, from, to) {
      const range = { from, to, after: null };
      const hit = (p: Pending) => p.room === publicId && inRange(p.message.ts, range);
      const dropped = pending.filter(hit).map((p) => p.message);
      pending = pending.filter((p) => !hit(p));
      // A batch being written may hold some of them: let it land, then delete the rows.
      await flushing;
      const gone = await db
        .delete(chatMessages)
        .where(inTimeRange(publicId, from, to))
        .returning({ id: chatMessages.id, createdAt: chatMessages.createdAt });
      return [...gone.map((g) => ({ id: g.id, ts: g.createdAt.getTime() })), ...dropped]
        .sort((a, b) => a.ts - b.ts)
        .map((m) => m.id);
    },
    async ban(publicId, userId, until) {
      const u = until === null ? null : new Date(until);
      await db
        .insert(chatBans)
        .values({ roomId: publicId, userId, until: u })
        .onConflictDoUpdate({ target: [chatBans.roomId, chatBans.userId], set: { until: u } });
    },
    async unban(publicId, userId) {
      await db.delete(chatBans).where(and(eq(chatBans.roomId, publicId), eq(chatBans.userId, userId)));
    },
    flush,
    async close() {
      await flush();
    },
  };
}
