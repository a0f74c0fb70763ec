import type { ChatMessage } from "@hearth/contracts";
import { chatMessages, type Database } from "@hearth/db";
import { and, asc, desc, eq, gt, gte, lte, or, type SQL } from "drizzle-orm";
import type { ReplayPosition } from "./replay-cursor.ts";

/**
 * The reads of chat_messages, kept apart so a test can EXPLAIN the exact SQL the store runs: a room keeps every
 * message of its broadcasts, so these must stay index range scans however many rows the table holds.
 */

/** Which of a room's messages one replay page covers: server times `from`..`to` (inclusive), after `after`. */
export interface ReplayRange {
  from: number;
  /** null: up to the newest message. */
  to: number | null;
  after: ReplayPosition | null;
}

// Only the public fields of a message (and the seq for cursors) ever leave the table.
const columns = {
  seq: chatMessages.seq,
  id: chatMessages.id,
  userId: chatMessages.userId,
  name: chatMessages.displayName,
  text: chatMessages.text,
  createdAt: chatMessages.createdAt,
};

/** A stored row as a wire message, with its seq. */
export function toMessage(row: {
  seq: number;
  id: string;
  userId: string;
  name: string;
  text: string;
  createdAt: Date;
}): { seq: number; message: ChatMessage } {
  const { seq, createdAt, ...m } = row;
  return { seq, message: { ...m, ts: createdAt.getTime() } };
}

/** The room's last `limit` messages, newest first: chat_messages_room_idx (room_id, seq) read backwards. */
export function recentQuery(db: Database, publicId: string, limit: number) {
  return db
    .select(columns)
    .from(chatMessages)
    .where(eq(chatMessages.roomId, publicId))
    .orderBy(desc(chatMessages.seq))
    .limit(limit);
}

/**
 * One replay page of written messages in (created_at, seq) order: a keyset read on
 * chat_messages_room_time_idx (room_id, created_at), starting at the cursor's millisecond, so a page costs
 * the same at the start of a long broadcast as at its end.
 */
export function replayQuery(db: Database, publicId: string, r: ReplayRange, limit: number) {
  const t = chatMessages.createdAt;
  // The cursor's time bounds the index range; its seq only breaks ties within that millisecond.
  const where: SQL[] = [
    eq(chatMessages.roomId, publicId),
    gte(t, new Date(Math.max(r.from, r.after?.ts ?? 0))),
  ];
  if (r.to !== null) where.push(lte(t, new Date(r.to)));
  if (r.after) {
    const at = new Date(r.after.ts);
    where.push(or(gt(t, at), and(eq(t, at), gt(chatMessages.seq, r.after.seq))) as SQL);
  }
  return db
    .select(columns)
    .from(chatMessages)
    .where(and(...where))
    .orderBy(asc(t), asc(chatMessages.seq))
    .limit(limit);
}

/** The room's messages with server times `from`..`to` (inclusive): the same index as replay. */
export function inTimeRange(publicId: string, from: number, to: number): SQL {
  return and(
    eq(chatMessages.roomId, publicId),
    gte(chatMessages.createdAt, new Date(from)),
    lte(chatMessages.createdAt, new Date(to)),
  ) as SQL;
}
