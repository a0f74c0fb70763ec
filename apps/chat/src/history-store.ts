import type { ChatMessage } from "@hearth/contracts";
import { chatBans, chatMessages, chatRooms, type Database } from "@hearth/db";
import type { Logger } from "@hearth/server-kit";
import { and, desc, eq, gt, isNull, or, sql } from "drizzle-orm";

/** How many messages a room keeps. */
export const HISTORY_KEEP = 200;
// Messages are written in small batches so a busy room costs one INSERT per tick, not one per message.
const FLUSH_MS = 50;

/** A room's open state as the database keeps it. */
export interface StoredRoom {
  slowModeSeconds: number;
  /** userId → null (banned) or the end of a time-out (ms since the epoch). */
  bans: Map<string, number | null>;
}

/** Rooms, their history and their bans in Postgres / PGlite (the chat_* tables). */
export interface HistoryStore {
  openRoom(publicId: string): Promise<void>;
  /** Closes a room and forgets its messages and bans. */
  closeRoom(publicId: string): Promise<void>;
  /** The room, when it exists and is open. */
  room(publicId: string): Promise<StoredRoom | undefined>;
  setSlowMode(publicId: string, seconds: number): Promise<void>;
  /** The last `limit` messages, oldest first, including ones not yet written. */
  recent(publicId: string, limit: number): Promise<ChatMessage[]>;
  /** Queues a message for writing (delivery never waits on the database). */
  append(publicId: string, message: ChatMessage): void;
  /** Deletes a message; false when it is not (or no longer) in the history. */
  remove(publicId: string, messageId: string): Promise<boolean>;
  ban(publicId: string, userId: string, until: number | null): Promise<void>;
  unban(publicId: string, userId: string): Promise<void>;
  /** Writes everything queued. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

type Pending = { room: string; message: ChatMessage };

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
      for (const room of new Set(inflight.map((p) => p.room))) {
        await db.execute(sql`delete from ${chatMessages} where ${chatMessages.roomId} = ${room} and ${chatMessages.seq} <= (
          select ${chatMessages.seq} from ${chatMessages} where ${chatMessages.roomId} = ${room}
          order by ${chatMessages.seq} desc offset ${HISTORY_KEEP} limit 1)`);
      }
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

  return {
    async openRoom(publicId) {
      await db
        .insert(chatRooms)
        .values({ publicId })
        .onConflictDoUpdate({ target: chatRooms.publicId, set: { closedAt: null } });
    },
    async closeRoom(publicId) {
      pending = pending.filter((p) => p.room !== publicId);
      await flush();
      await db.update(chatRooms).set({ closedAt: new Date() }).where(eq(chatRooms.publicId, publicId));
      await db.delete(chatMessages).where(eq(chatMessages.roomId, publicId));
      await db.delete(chatBans).where(eq(chatBans.roomId, publicId));
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
      const rows = await db
        .select()
        .from(chatMessages)
        .where(eq(chatMessages.roomId, publicId))
        .orderBy(desc(chatMessages.seq))
        .limit(limit);
      const stored: ChatMessage[] = rows.reverse().map((r) => ({
        id: r.id,
        userId: r.userId,
        name: r.displayName,
        text: r.text,
        ts: r.createdAt.getTime(),
      }));
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
