/**
 * A place in a room's replay order: server time, then the row's insertion sequence (two messages can share a
 * millisecond). Replay pages continue strictly after it, so a page boundary never repeats or skips a message.
 */
export interface ReplayPosition {
  /** Server time, ms since the epoch. */
  ts: number;
  /** chat_messages.seq of the last message served. */
  seq: number;
}

// A version tag lets the format change later without old cursors being read as new ones.
const PREFIX = "r1.";
const SHAPE = /^r1\.(\d{1,15})\.(\d{1,18})$/;

/**
 * The opaque `next` of a ChatReplay. Opaque on purpose: clients pass it back and never build one, so the
 * ordering key can change without breaking them.
 */
export function encodeReplayCursor(p: ReplayPosition): string {
  return Buffer.from(`${PREFIX}${p.ts}.${p.seq}`).toString("base64url");
}

/** The position a cursor names, or null when it is not one this server made. Never throws. */
export function decodeReplayCursor(cursor: string): ReplayPosition | null {
  if (cursor.length > 64 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const m = SHAPE.exec(Buffer.from(cursor, "base64url").toString("latin1"));
  if (!m) return null;
  const ts = Number(m[1]);
  const seq = Number(m[2]);
  return Number.isSafeInteger(ts) && Number.isSafeInteger(seq) ? { ts, seq } : null;
}
